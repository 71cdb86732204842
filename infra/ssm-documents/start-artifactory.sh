#!/usr/bin/env bash
# StartArtifactory: starts the artifactory service and returns; the workflow probes readiness separately
# (ProbeReadiness). Refuses to start an unconfigured node: without the cluster's master key Artifactory would
# generate a key of its own, and the node could never read the cluster's encrypted data.
set -euo pipefail
export LC_ALL=C

readonly JFROG_HOME=/opt/jfrog
readonly ETC_DIR="${JFROG_HOME}/artifactory/var/etc"
readonly SYSTEM_YAML="${ETC_DIR}/system.yaml"
readonly SECURITY_DIR="${ETC_DIR}/security"
readonly SERVICE=artifactory
# Below the document's 300 s timeout, so a hung start is reported by the script rather than by SSM.
readonly START_WAIT_SECONDS=240

die() {
  printf '%s\n' "$1" >&2
  exit "${2:-1}"
}

for file in "$SYSTEM_YAML" "${SECURITY_DIR}/master.key" "${SECURITY_DIR}/join.key"; do
  [[ -s $file ]] || die "${SYSTEM_YAML} is not configured (${file} is missing): run ConfigureNode first"
done

if systemctl is-active --quiet "$SERVICE"; then
  echo "${SERVICE}.service is already active"
  exit 0
fi
rc=0
timeout "$START_WAIT_SECONDS" systemctl start "$SERVICE" || rc=$?
if ((rc == 124)); then
  die "${SERVICE}.service did not start within ${START_WAIT_SECONDS} s"
elif ((rc != 0)); then
  exit "$rc"
fi
echo "${SERVICE}.service started"
