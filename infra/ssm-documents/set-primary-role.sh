#!/usr/bin/env bash
# SetPrimaryRole: makes this node the primary (ROLE=primary) or a member (ROLE=member). legacy-primary sets
# shared.node.primary: true | false; cloud-native sets shared.node.taskAffinity: any | none (any: the node
# runs cluster tasks). Then restarts Artifactory to apply it (a restart is as slow as a start; the workflow
# probes readiness afterwards). The mode is CLUSTER_MODE or, when empty, the one system.yaml already shows
# (taskAffinity present: cloud-native). Every other line of system.yaml is kept. SERVICE_ACTION stop stops
# Artifactory instead of restarting it: a quarantined node is demoted on disk and left stopped, so it can
# neither run as the primary now nor come back as one, and its start never collides with another node's
# (JFrog: nodes must not start in parallel).
# The document runs lib.sh before this script (strict mode, the node's paths, die, require, get_node_key,
# set_node_keys, systemctl_bounded).
#
# Parameters: shell variables assigned by the header the SSM document prepends (infra/ssm-documents/index.ts).
#   ROLE          primary | member
#   CLUSTER_MODE  legacy-primary | cloud-native | empty (detect)
#   SERVICE_ACTION  restart (default) | stop

# Below the document's 600 s timeout: a graceful stop and a start.
readonly RESTART_WAIT_SECONDS=540

require ROLE '^(primary|member)$'
require CLUSTER_MODE '^(legacy-primary|cloud-native)?$'
require SERVICE_ACTION '^(restart|stop)$'

[[ -s $SYSTEM_YAML ]] || die "${SYSTEM_YAML} is not configured: run ConfigureNode first"
mode=$CLUSTER_MODE
if [[ -z $mode ]]; then
  mode=legacy-primary
  if [[ -n $(get_node_key "$SYSTEM_YAML" taskAffinity) ]]; then mode=cloud-native; fi
fi

umask 077
if [[ $mode == legacy-primary ]]; then
  primary=false
  if [[ $ROLE == primary ]]; then primary=true; fi
  set_node_keys "$SYSTEM_YAML" "$SERVICE_USER" "primary=${primary}" -taskAffinity
  edited="shared.node.primary=${primary}"
else
  affinity=none
  if [[ $ROLE == primary ]]; then affinity=any; fi
  set_node_keys "$SYSTEM_YAML" "$SERVICE_USER" "taskAffinity=\"${affinity}\"" -primary
  edited="shared.node.taskAffinity=${affinity}"
fi
echo "wrote ${SYSTEM_YAML}: ${edited}"

systemctl_bounded "$SERVICE_ACTION" "$RESTART_WAIT_SECONDS"
if [[ $SERVICE_ACTION == stop ]]; then
  if systemctl is-active --quiet "$SERVICE"; then
    die "${SERVICE}.service is still active after systemctl stop"
  fi
  echo "${SERVICE}.service stopped"
else
  echo "${SERVICE}.service restarted"
fi
