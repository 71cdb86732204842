#!/usr/bin/env bash
# StopArtifactory: stops the artifactory service gracefully (systemd runs the unit's own stop, which lets
# Artifactory finish its requests and leave the cluster) and waits until it has stopped, for a bounded time.
# Stopping a stopped service succeeds.
# The document runs lib.sh before this script (strict mode, the service's name, die, systemctl_bounded).

# Below the document's 600 s timeout, so a hung stop is reported by the script rather than by SSM.
readonly STOP_WAIT_SECONDS=540

systemctl_bounded stop "$STOP_WAIT_SECONDS"
if systemctl is-active --quiet "$SERVICE"; then
  die "${SERVICE}.service is still active after systemctl stop"
fi
echo "${SERVICE}.service stopped"
