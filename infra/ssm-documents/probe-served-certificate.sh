#!/usr/bin/env bash
# ProbeServedCertificate: run on a PEER node. Connects to each target (TARGET_IP, or every IP of TARGET_IPS in
# order) on 8082 (the router) and 8443 (Artifactory) and verifies what each serves against THIS node's trusted CA files (etc/security/keys/trusted/) and the
# target's IP: it proves that the peer trusts the target, not only that a certificate is there. JFrog: the same
# certificate serves both ports. Prints one JSON line per target:
#   {"target":"<ip>","ports":[{"port":8082,"fingerprint":"<hex>","verified":true,"notAfter":"<ISO>","error":null},…]}
# A port that does not answer within 10 s has fingerprint and notAfter null and error "unreachable"; a
# certificate that does not verify has verified false and openssl's reason as error. The script fails only
# when it cannot probe at all (no trusted CA file on this node).
# The document runs lib.sh before this script (strict mode, the node's paths, require, cert_fingerprint).
#
# Parameters: shell variables assigned by the header the SSM document prepends (infra/ssm-documents/index.ts).
#   TARGET_IP   the private IP of the one node whose certificate is probed (empty: TARGET_IPS)
#   TARGET_IPS  several private IPs, comma-separated, at most 25 (the daily census: one command over a batch)
# Exactly one of the two is non-empty. Each target costs at most 2 x 10 s, 25 of them under the 600-s timeout.

readonly CONNECT_WAIT_SECONDS=10

require TARGET_IP '^([0-9]{1,3}(\.[0-9]{1,3}){3})?$'
require TARGET_IPS '^([0-9]{1,3}(\.[0-9]{1,3}){3}(,[0-9]{1,3}(\.[0-9]{1,3}){3}){0,24})?$'
if [[ -n $TARGET_IP && -n $TARGET_IPS ]] || [[ -z $TARGET_IP && -z $TARGET_IPS ]]; then
  die 'invalid parameters: give exactly one of TARGET_IP and TARGET_IPS' 2
fi
targets=()
if [[ -n $TARGET_IP ]]; then
  targets=("$TARGET_IP")
else
  IFS=, read -r -a targets <<<"$TARGET_IPS"
fi

shopt -s nullglob
trusted=()
for file in "$TRUSTED_DIR"/*; do
  if [[ -f $file && -s $file ]]; then trusted+=("$file"); fi
done
((${#trusted[@]} > 0)) || die "no trusted CA file in ${TRUSTED_DIR}: this node cannot verify a certificate"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cat "${trusted[@]}" >"${work}/trusted.pem"

# One port's JSON object (TARGET PORT).
probe_port() {
  local target=$1 port=$2 fingerprint end not_after code error=null verified=false
  if ! timeout "$CONNECT_WAIT_SECONDS" openssl s_client -connect "${target}:${port}" -CAfile "${work}/trusted.pem" \
    -verify_ip "$target" </dev/null >"${work}/out" 2>/dev/null ||
    ! openssl x509 -in "${work}/out" -noout 2>/dev/null; then
    printf '{"port":%d,"fingerprint":null,"verified":false,"notAfter":null,"error":"unreachable"}' "$port"
    return 0
  fi
  fingerprint=$(cert_fingerprint "${work}/out")
  end=$(openssl x509 -in "${work}/out" -noout -enddate)
  not_after=$(date -u -d "${end#notAfter=}" +%Y-%m-%dT%H:%M:%SZ)
  code=$(grep -m1 -Eo 'Verify return code: [0-9]+ \([^)]*\)' "${work}/out") || code='Verify return code: none'
  if [[ $code == 'Verify return code: 0 (ok)' ]]; then
    verified=true
  else
    # openssl's reason, reduced to characters that need no JSON escaping.
    error="\"$(printf '%s' "${code#Verify return code: }" | tr -cd 'A-Za-z0-9 ():._-')\""
  fi
  printf '{"port":%d,"fingerprint":"%s","verified":%s,"notAfter":"%s","error":%s}' \
    "$port" "$fingerprint" "$verified" "$not_after" "$error"
}

for target in "${targets[@]}"; do
  printf '{"target":"%s","ports":[%s,%s]}\n' "$target" "$(probe_port "$target" 8082)" "$(probe_port "$target" 8443)"
done
