#!/usr/bin/env bash
# ReadReplicationStatus: asks the node's own Artifactory for the replication status of each repository
# (JFrog REST API, "Scheduled Replication Status": GET /artifactory/api/replication/{repoKey}, whose answer
# holds the overall "status" and "lastCompleted") and prints ONE JSON line per repository, for example
#   {"repo":"libs-release-local","status":"ok","lastCompleted":"2026-06-01T11:58:03.123Z"}
#   {"repo":"docker-local","error":"http 404"}
# The routing Lambda's readiness evaluation parses these lines (functions/core/regional-readiness.ts).
# The access token is fetched ON THE NODE from Secrets Manager (the instance profile's GetSecretValue) into a
# header file (mode 0600, removed on exit) that curl reads with -H @file: it is never in an argument, an
# environment variable of another process, or the output.
# The node is asked as ProbeReadiness asks it: https://<its shared.node.ip>:8082 with the cluster CA once it
# has its certificate, else http://localhost:8082.
# The document runs lib.sh before this script (strict mode, the node's paths, require, get_node_key, imds).
#
# Parameters: shell variables assigned by the header the SSM document prepends (infra/ssm-documents/index.ts).
#   REPO_KEYS        1-20 repository keys, comma-separated
#   TOKEN_SECRET_ID  Secrets Manager name or ARN of the access token

require REPO_KEYS '^[A-Za-z0-9._-]{1,64}(,[A-Za-z0-9._-]{1,64}){0,19}$'
require TOKEN_SECRET_ID '^[A-Za-z0-9/_+=.@:-]{1,2048}$'

# Each request's bound: 20 repositories x 10 s stay under the document's 300-s timeout.
readonly REQUEST_SECONDS=10

if [[ -s $SERVER_CRT ]]; then
  node_ip=$(get_node_key "$SYSTEM_YAML" ip)
  [[ $node_ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || node_ip=$(node_private_ip)
  readonly BASE_URL="https://${node_ip}:8082"
  readonly TLS_ARGS=(--cacert "$CLUSTER_CA")
else
  readonly BASE_URL=http://localhost:8082
  readonly TLS_ARGS=()
fi

umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
readonly HEADER="${work}/header" BODY="${work}/body"

region=$(imds placement/region)
[[ $region =~ ^[a-z]{2}(-[a-z]+)+-[0-9]$ ]] || die 'unexpected region from instance metadata'
# The token goes from the pipe into the header file; only its shape is checked, and never printed.
aws secretsmanager get-secret-value --region "$region" --secret-id "$TOKEN_SECRET_ID" \
  --query SecretString --output text | tr -d '\r\n' | {
  IFS= read -r token || true
  [[ $token =~ ^[A-Za-z0-9._~+/=-]{16,4096}$ ]] || die "secret ${TOKEN_SECRET_ID} does not hold an access token"
  printf 'Authorization: Bearer %s\n' "$token" >"$HEADER"
}
[[ -s $HEADER ]] || die "secret ${TOKEN_SECRET_ID} could not be read"

# The first value of KEY in BODY_TEXT (the leftmost match: the answer's top-level field comes before its
# targets'): a string matching PATTERN as a JSON string, null as null, else nothing.
first_value() {
  local key=$1 pattern=$2 re raw
  re="\"${key}\"[[:space:]]*:[[:space:]]*([^,}]*)"
  [[ $BODY_TEXT =~ $re ]] || return 0
  raw=${BASH_REMATCH[1]%"${BASH_REMATCH[1]##*[![:space:]]}"}
  if [[ $raw == null ]]; then
    printf 'null'
  elif [[ $raw =~ ^\"([^\"]*)\"$ ]]; then
    raw=${BASH_REMATCH[1]}
    if [[ $raw =~ $pattern ]]; then printf '"%s"' "$raw"; fi
  fi
}

IFS=, read -r -a repos <<<"$REPO_KEYS"
for repo in "${repos[@]}"; do
  : >"$BODY"
  code=$(curl -s -o "$BODY" -w '%{http_code}' --max-time "$REQUEST_SECONDS" --max-filesize 1048576 \
    -H "@${HEADER}" "${TLS_ARGS[@]}" \
    "${BASE_URL}/artifactory/api/replication/${repo}") || true
  [[ $code =~ ^[0-9]{3}$ ]] || code=0
  if ((10#$code != 200)); then
    printf '{"repo":"%s","error":"http %d"}\n' "$repo" "$((10#$code))"
    continue
  fi
  BODY_TEXT=$(<"$BODY")
  status=$(first_value status '^[a-z_]{1,32}$')
  completed=$(first_value lastCompleted '^[0-9T:.+Z-]{1,40}$')
  if [[ -z $status ]]; then
    printf '{"repo":"%s","error":"no status in the answer"}\n' "$repo"
    continue
  fi
  printf '{"repo":"%s","status":%s,"lastCompleted":%s}\n' "$repo" "$status" "${completed:-null}"
done
