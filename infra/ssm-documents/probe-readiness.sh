#!/usr/bin/env bash
# ProbeReadiness: asks the node's own Artifactory whether it is ready, and prints ONE JSON line (the workflow
# parses stdout with States.StringToJson), for example
#   {"ready":true,"routerHealth":200,"readiness":200,"role":"member","taskAffinity":null,"nodeId":"i-0abc","service":"active","scheme":"https"}
# ready: GET /artifactory/api/v1/system/readiness answered 200 {"code":"OK"}. routerHealth: the status code of
# GET /router/api/v1/system/health (503 when any local service is unhealthy; 0 when nothing answered).
# role: from system.yaml's shared.node.primary (null in cloud-native mode). A node that is not ready is not
# an error: the script fails only when it cannot probe at all.
# scheme: how the node was asked. A node with its custom certificate (custom-server.crt) serves TLS on 8082, and
# with TLS on the platform blocks plain HTTP (JFrog, "Set TLS on the JFrog Platform"), so it is asked at
# https://<its shared.node.ip>:8082 (the certificate names the IP, not localhost), verified with the cluster CA
# file it trusts: a certificate that does not verify reads as nothing answering (0). A node before its first
# certificate is asked at http://localhost:8082.
# WAIT_SECONDS > 0 waits ON THE NODE, probing every 5 s, until the node is ready, its service has failed, or
# WAIT_SECONDS have passed, then prints the last probe: one command (one workflow round) instead of one per
# probe. 0 probes once.
# The document runs lib.sh before this script (strict mode, the node's paths, require, get_node_key,
# node_private_ip).
#
# Parameters: shell variables assigned by the header the SSM document prepends (infra/ssm-documents/index.ts).
#   WAIT_SECONDS       0-300 (default 0)
#   EXECUTION_TIMEOUT  60-360 (default 60): the step's timeout; it must leave 60 s after WAIT_SECONDS

readonly PROBE_INTERVAL_SECONDS=5

require WAIT_SECONDS '^([0-9]|[1-9][0-9]|[1-2][0-9][0-9]|300)$'
require EXECUTION_TIMEOUT '^([6-9][0-9]|[1-2][0-9][0-9]|3[0-5][0-9]|360)$'
((10#$WAIT_SECONDS + 60 <= 10#$EXECUTION_TIMEOUT)) ||
  die 'invalid parameters: EXECUTION_TIMEOUT must be at least WAIT_SECONDS + 60' 2

if [[ -s $SERVER_CRT ]]; then
  node_ip=$(get_node_key "$SYSTEM_YAML" ip)
  [[ $node_ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || node_ip=$(node_private_ip)
  readonly SCHEME=https BASE_URL="https://${node_ip}:8082"
  readonly TLS_ARGS=(--cacert "$CLUSTER_CA")
else
  readonly SCHEME=http BASE_URL=http://localhost:8082
  readonly TLS_ARGS=()
fi

# The HTTP status code of a GET (0 when nothing answered, or when its certificate does not verify); the body
# goes to FILE.
http_status() {
  local url=$1 body=$2 code
  code=$(curl -s -o "$body" -w '%{http_code}' --max-time 5 "${TLS_ARGS[@]}" "$url") || true
  [[ $code =~ ^[0-9]{3}$ ]] || code=0
  echo "$((10#$code))"
}

# A JSON string for VALUE if it matches PATTERN, else null (nothing read from disk reaches the JSON unchecked).
json_string() {
  local value=$1 pattern=$2
  if [[ $value =~ $pattern ]]; then printf '"%s"' "$value"; else printf 'null'; fi
}

body=$(mktemp)
trap 'rm -f "$body"' EXIT

# Counted and timed: at most WAIT_SECONDS / PROBE_INTERVAL_SECONDS more probes, and none after WAIT_SECONDS
# (a probe takes up to 10 s), so the script ends well below EXECUTION_TIMEOUT.
readonly PROBES_LEFT=$((10#$WAIT_SECONDS / PROBE_INTERVAL_SECONDS))
deadline=$((SECONDS + 10#$WAIT_SECONDS))
for ((probe = 0; ; probe++)); do
  router=$(http_status "${BASE_URL}/router/api/v1/system/health" /dev/null)
  readiness=$(http_status "${BASE_URL}/artifactory/api/v1/system/readiness" "$body")
  ready=false
  if ((readiness == 200)) && grep -Eq '"code"[[:space:]]*:[[:space:]]*"OK"' "$body"; then ready=true; fi
  service=$(systemctl is-active "$SERVICE" 2>/dev/null) || true
  if [[ $ready == true || $service == failed ]] || ((probe >= PROBES_LEFT || SECONDS >= deadline)); then
    break
  fi
  sleep "$PROBE_INTERVAL_SECONDS"
done

case $(get_node_key "$SYSTEM_YAML" primary) in
  true) role=primary ;;
  false) role=member ;;
  *) role='' ;;
esac
affinity=$(get_node_key "$SYSTEM_YAML" taskAffinity)
node_id=$(get_node_key "$SYSTEM_YAML" id)

printf '{"ready":%s,"routerHealth":%d,"readiness":%d,"role":%s,"taskAffinity":%s,"nodeId":%s,"service":%s,"scheme":"%s"}\n' \
  "$ready" "$router" "$readiness" \
  "$(json_string "$role" '^(primary|member)$')" \
  "$(json_string "$affinity" '^(any|none)$')" \
  "$(json_string "$node_id" '^[A-Za-z0-9._-]{1,64}$')" \
  "$(json_string "$service" '^[a-z-]{1,32}$')" "$SCHEME"
