#!/usr/bin/env bash
# StopArtifactory: stops the artifactory service gracefully (systemd runs the unit's own stop, which lets
# Artifactory finish its requests and leave the cluster) and waits until it has stopped, for a bounded time.
# Stopping a stopped service succeeds.
set -euo pipefail
export LC_ALL=C

readonly SERVICE=artifactory
# Below the document's 600 s timeout, so a hung stop is reported by the script rather than by SSM.
readonly STOP_WAIT_SECONDS=540

die() {
  printf '%s\n' "$1" >&2
  exit "${2:-1}"
}

rc=0
timeout "$STOP_WAIT_SECONDS" systemctl stop "$SERVICE" || rc=$?
if ((rc == 124)); then
  die "${SERVICE}.service did not stop within ${STOP_WAIT_SECONDS} s"
elif ((rc != 0)); then
  exit "$rc"
fi
if systemctl is-active --quiet "$SERVICE"; then
  die "${SERVICE}.service is still active after systemctl stop"
fi
echo "${SERVICE}.service stopped"
