#!/usr/bin/env bash
# StartArtifactory: starts the artifactory service and returns; the workflow probes readiness separately
# (ProbeReadiness). Refuses to start an unconfigured node: without the cluster's master key Artifactory would
# generate a key of its own, and the node could never read the cluster's encrypted data.
# With CERTIFICATE and CA_BUNDLE (node-bootstrap: the node's first certificate), installs them first exactly
# as InstallCertificate does (its JSON line is printed before the start's line), so that Artifactory's first
# start serves the cluster's certificate on 8082 and, with the HTTPS connector it enables, on 8443. Without
# them, nothing but the start. With RESTART=true (cert-rotation-node: install and restart in one command), the
# service is restarted (bounded like the start) instead of started, so the installed files are applied; a
# failure may then come before the install (nothing changed) or after it (RollbackCertificate with the issued
# Fingerprint tells the two apart).
# The document runs lib.sh before this script (strict mode, the node's paths, die, systemctl_bounded,
# install_certificate).
#
# Parameters: shell variables assigned by the header the SSM document prepends (infra/ssm-documents/index.ts).
#   CERTIFICATE  empty, or the leaf certificate (PEM) to install before the start
#   CA_BUNDLE    empty, or the CA certificates (PEM) to trust; both or neither
#   RESTART      empty, or true: restart the service rather than start it

# Below the document's 300 s timeout, so a hung start is reported by the script rather than by SSM.
readonly START_WAIT_SECONDS=240

require CERTIFICATE '^(-----BEGIN CERTIFICATE-----(\s|[A-Za-z0-9+/=])+-----END CERTIFICATE-----\s*)?$'
require CA_BUNDLE '^(-----BEGIN CERTIFICATE-----(\s|[A-Za-z0-9+/=])+-----END CERTIFICATE-----\s*)*$'
[[ -z $CERTIFICATE && -z $CA_BUNDLE ]] || [[ -n $CERTIFICATE && -n $CA_BUNDLE ]] ||
  die 'invalid parameters: CERTIFICATE and CA_BUNDLE go together' 2
require RESTART '^(true)?$'

for file in "$SYSTEM_YAML" "${SECURITY_DIR}/master.key" "${SECURITY_DIR}/join.key"; do
  [[ -s $file ]] || die "${SYSTEM_YAML} is not configured (${file} is missing): run ConfigureNode first"
done

if [[ -n $CERTIFICATE ]]; then
  install_certificate "$CERTIFICATE" "$CA_BUNDLE"
fi
if [[ $RESTART == true ]]; then
  systemctl_bounded restart "$START_WAIT_SECONDS"
  echo "${SERVICE}.service restarted"
  exit 0
fi
if systemctl is-active --quiet "$SERVICE"; then
  echo "${SERVICE}.service is already active"
  exit 0
fi
systemctl_bounded start "$START_WAIT_SECONDS"
echo "${SERVICE}.service started"
