#!/usr/bin/env bash
# StartArtifactory: starts the artifactory service and returns; the workflow probes readiness separately
# (ProbeReadiness). Refuses to start an unconfigured node: without the cluster's master key Artifactory would
# generate a key of its own, and the node could never read the cluster's encrypted data.
# The document runs lib.sh before this script (strict mode, the node's paths, die, systemctl_bounded).

# Below the document's 300 s timeout, so a hung start is reported by the script rather than by SSM.
readonly START_WAIT_SECONDS=240

for file in "$SYSTEM_YAML" "${SECURITY_DIR}/master.key" "${SECURITY_DIR}/join.key"; do
  [[ -s $file ]] || die "${SYSTEM_YAML} is not configured (${file} is missing): run ConfigureNode first"
done

if systemctl is-active --quiet "$SERVICE"; then
  echo "${SERVICE}.service is already active"
  exit 0
fi
systemctl_bounded start "$START_WAIT_SECONDS"
echo "${SERVICE}.service started"
