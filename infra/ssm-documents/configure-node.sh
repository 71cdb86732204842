#!/usr/bin/env bash
# ConfigureNode: joins this instance to the cluster's configuration before Artifactory first starts. Fetches
# the master and join keys from Secrets Manager ON THE NODE (the instance profile's GetSecretValue) straight
# into var/etc/security/, and writes this node's section of system.yaml: shared.node.id, shared.node.ip,
# shared.node.haEnabled and the role (legacy-primary: primary; cloud-native: taskAffinity). Every other line
# of system.yaml (database, security, comments) is kept. The key values never pass through a variable, an
# argument, stdout or stderr.
#
# The document runs lib.sh before this script (strict mode, the node's paths, die, require, set_node_keys).
# Parameters: shell variables assigned by the header the SSM document prepends (infra/ssm-documents/index.ts).
#   ROLE                  primary | member (legacy-primary: shared.node.primary)
#   TASK_AFFINITY         any | none (cloud-native: shared.node.taskAffinity)
#   CLUSTER_MODE          legacy-primary | cloud-native
#   NODE_ID               shared.node.id: the instance id (a reused id with another IP is rejected by JFrog)
#   MASTER_KEY_SECRET_ID  Secrets Manager name or ARN of the master key
#   JOIN_KEY_SECRET_ID    Secrets Manager name or ARN of the join key
#   KEY_SIZE              empty, or 2048 | 3072 | 4096: also make the TLS key custom-server.key.next and print a
#                         CSR for it after the lines above, exactly as MakeCsr does, and enable Tomcat's HTTPS
#                         connector in system.yaml (artifactory.tomcat.httpsConnector.enabled: the node will
#                         serve its certificate on 8443 too)
export AWS_PAGER=''

require ROLE '^(primary|member)$'
require TASK_AFFINITY '^(any|none)$'
require CLUSTER_MODE '^(legacy-primary|cloud-native)$'
require NODE_ID '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$'
require MASTER_KEY_SECRET_ID '^[A-Za-z0-9/_+=.@:-]{1,2048}$'
require JOIN_KEY_SECRET_ID '^[A-Za-z0-9/_+=.@:-]{1,2048}$'
require KEY_SIZE '^(2048|3072|4096)?$'

[[ -d ${JFROG_HOME}/artifactory ]] || die "${JFROG_HOME}/artifactory does not exist: Artifactory is not installed"
id -u "$SERVICE_USER" >/dev/null 2>&1 || die "user ${SERVICE_USER} does not exist: Artifactory is not installed"

region=$(imds placement/region)
node_ip=$(node_private_ip)
[[ $region =~ ^[a-z]{2}(-[a-z]+)+-[0-9]+$ ]] || die "unexpected region from instance metadata"

umask 077
install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$ETC_DIR" "$SECURITY_DIR"
work=$(mktemp -d "${SECURITY_DIR}/.configure.XXXXXX")
trap 'rm -rf "$work"' EXIT

# Writes one secret's value to FILE (mode 0600, owned by the service user) without it ever leaving the pipe.
install_key() {
  local secret_id=$1 target=$2 tmp
  tmp="${work}/${target##*/}"
  aws secretsmanager get-secret-value --region "$region" --secret-id "$secret_id" \
    --query SecretString --output text | tr -d '\r\n' >"$tmp"
  # JFrog keys are hex (openssl rand -hex 16 or 32); grep -q prints nothing.
  grep -Eq '^[0-9A-Fa-f]{32,}$' "$tmp" || die "secret ${secret_id} does not hold a hex key of 32 characters or more"
  chown "${SERVICE_USER}:" "$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$target"
  printf 'installed %s from Secrets Manager\n' "$target"
}

install_key "$MASTER_KEY_SECRET_ID" "${SECURITY_DIR}/master.key"
install_key "$JOIN_KEY_SECRET_ID" "${SECURITY_DIR}/join.key"

if [[ $CLUSTER_MODE == legacy-primary ]]; then
  primary=false
  if [[ $ROLE == primary ]]; then primary=true; fi
  set_node_keys "$SYSTEM_YAML" "$SERVICE_USER" "id=\"${NODE_ID}\"" "ip=\"${node_ip}\"" haEnabled=true \
    "primary=${primary}" -taskAffinity
  role_setting="shared.node.primary=${primary}"
else
  set_node_keys "$SYSTEM_YAML" "$SERVICE_USER" "id=\"${NODE_ID}\"" "ip=\"${node_ip}\"" haEnabled=true \
    "taskAffinity=\"${TASK_AFFINITY}\"" -primary
  role_setting="shared.node.taskAffinity=${TASK_AFFINITY}"
fi
printf 'wrote %s: shared.node.id=%s shared.node.ip=%s shared.node.haEnabled=true %s\n' \
  "$SYSTEM_YAML" "$NODE_ID" "$node_ip" "$role_setting"
if [[ -n $KEY_SIZE ]]; then
  enable_https_connector
  make_key_and_csr "$KEY_SIZE" "$node_ip"
fi
