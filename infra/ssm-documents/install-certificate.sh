#!/usr/bin/env bash
# InstallCertificate: installs the certificate the cluster CA issued for this node's CSR, with the key MakeCsr
# left in custom-server.key.next, as the router's bootstrap/router/keys/custom-server.crt|.key, and the CA
# bundle as etc/security/keys/trusted/cluster-ca.pem (JFrog does not propagate trusted certificates between
# HA nodes: every node gets its own copy). The current certificate, key and CA file are kept as *.previous
# (RollbackCertificate restores them). Refuses a certificate that does not match the next key, changing
# nothing. Enables Tomcat's HTTPS connector in system.yaml (artifactory.tomcat.httpsConnector.enabled: true),
# so that the restart serves the certificate on 8443 as well as on 8082. Starts nothing: a restart applies
# the files. Prints one JSON line:
#   {"installed":"<fingerprint>","previous":"<fingerprint>"|null}
# The document runs lib.sh before this script (strict mode, the node's paths, require, install_certificate).
#
# Parameters: shell variables assigned by the header the SSM document prepends (infra/ssm-documents/index.ts).
#   CERTIFICATE  the leaf certificate (PEM)
#   CA_BUNDLE    every CA certificate the node must trust (PEM, one or more)

require CERTIFICATE '^-----BEGIN CERTIFICATE-----(\s|[A-Za-z0-9+/=])+-----END CERTIFICATE-----\s*$'
require CA_BUNDLE '^(-----BEGIN CERTIFICATE-----(\s|[A-Za-z0-9+/=])+-----END CERTIFICATE-----\s*)+$'

install_certificate "$CERTIFICATE" "$CA_BUNDLE"
