#!/usr/bin/env bash
# MakeCsr: makes a new RSA key for the node's TLS certificate ON THE NODE and prints only a CSR for it. The
# key is custom-server.key.next next to the router's custom-server.key (umask 077, mode 0600, owned by the
# service user): it is never printed and never leaves the node; InstallCertificate moves it into place with
# the certificate the cluster CA issues for this CSR. CN and the one SAN IP are the instance's private IP from
# the instance metadata (JFrog: the subject must match shared.node.ip, which ConfigureNode writes from the
# same source). The signer sets every extension itself; the CSR asks for none but the SAN.
# The document runs lib.sh before this script (strict mode, the node's paths, require, make_key_and_csr).
#
# Parameters: shell variables assigned by the header the SSM document prepends (infra/ssm-documents/index.ts).
#   KEY_SIZE  2048 | 3072 | 4096: RSA modulus bits

require KEY_SIZE '^(2048|3072|4096)$'

[[ -d ${JFROG_HOME}/artifactory ]] || die "${JFROG_HOME}/artifactory does not exist: Artifactory is not installed"

make_key_and_csr "$KEY_SIZE" "$(node_private_ip)"
