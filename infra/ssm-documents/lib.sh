# shellcheck shell=bash
# lib.sh: what the SSM documents' scripts share. It is not run alone: infra/ssm-documents/index.ts puts it in
# every document's commands once, after the header that assigns the parameters and before the document's
# script, so a script calls these helpers and reads these constants without defining them.
set -euo pipefail
export LC_ALL=C

# Artifactory on the node: JFrog's layout under JFROG_HOME and its systemd service. Not every script uses
# every one of them.
# shellcheck disable=SC2034
{
  readonly JFROG_HOME=/opt/jfrog
  readonly ETC_DIR="${JFROG_HOME}/artifactory/var/etc"
  readonly SYSTEM_YAML="${ETC_DIR}/system.yaml"
  readonly SECURITY_DIR="${ETC_DIR}/security"
  readonly SERVICE=artifactory
  readonly SERVICE_USER=artifactory
  # JFrog, "Use a Custom TLS certificate with the Artifactory and Router ports" (JFrog Installation & Setup
  # documentation, option 2: provide your own signed certificate): the router's certificate and key are
  # bootstrap/router/keys/custom-server.crt|.key, the CA goes in etc/security/keys/trusted/ (on every node:
  # JFrog does not propagate trusted certificates between HA nodes), and a restart applies them.
  readonly ROUTER_KEYS_DIR="${JFROG_HOME}/artifactory/var/bootstrap/router/keys"
  readonly SERVER_CRT="${ROUTER_KEYS_DIR}/custom-server.crt"
  readonly SERVER_KEY="${ROUTER_KEYS_DIR}/custom-server.key"
  readonly NEXT_KEY="${SERVER_KEY}.next"
  readonly KEYS_DIR="${SECURITY_DIR}/keys"
  readonly TRUSTED_DIR="${KEYS_DIR}/trusted"
  readonly CLUSTER_CA="${TRUSTED_DIR}/cluster-ca.pem"
  # Outside trusted/: Artifactory trusts every file in that directory, so the kept CA file must not be one.
  readonly PREVIOUS_CA="${KEYS_DIR}/cluster-ca.pem.previous"
  readonly IMDS=http://169.254.169.254/latest
}

# Prints MESSAGE on stderr and exits with STATUS (default 1).
die() {
  printf '%s\n' "$1" >&2
  exit "${2:-1}"
}

# Fails (exit 2) unless the variable NAME matches PATTERN; the value itself is never printed.
require() {
  local name=$1 pattern=$2
  [[ ${!name-} =~ $pattern ]] || die "invalid parameter ${name}: must match ${pattern}" 2
}

# Runs `systemctl ACTION artifactory` (start, stop, restart) for at most SECONDS, below the document's
# timeout so that a hung service is reported by the script rather than by SSM: dies when it takes longer,
# exits with systemctl's status when systemctl fails.
systemctl_bounded() {
  local action=$1 seconds=$2 rc=0
  timeout "$seconds" systemctl "$action" "$SERVICE" || rc=$?
  if ((rc == 124)); then
    die "${SERVICE}.service did not ${action} within ${seconds} s"
  elif ((rc != 0)); then
    exit "$rc"
  fi
}

# Prints the value of shared.node.KEY in a system.yaml (FILE KEY), without quotes; nothing when absent.
get_node_key() {
  local file=$1 key=$2
  [[ -r $file ]] || return 0
  awk -v key="$key" -v q="'" '
    function indent(s) { match(s, /^ */); return RLENGTH }
    /^[ \t]*(#.*)?$/ { next }
    {
      ind = indent($0)
      if (ind == 0) { in_shared = ($0 ~ /^shared:[ \t]*(#.*)?$/); in_node = 0; next }
      if (!in_shared) next
      if (shared_ind == 0) shared_ind = ind
      if (ind == shared_ind) { in_node = (substr($0, ind + 1) ~ /^node:[ \t]*(#.*)?$/); next }
      if (!in_node) next
      if (node_ind == 0) node_ind = ind
      if (ind != node_ind) next
      rest = substr($0, ind + 1)
      if (index(rest, key ":") != 1) next
      v = substr(rest, length(key) + 2)
      sub(/[ \t]+#.*$/, "", v)
      gsub(/^[ \t]+|[ \t]+$/, "", v)
      first = substr(v, 1, 1)
      if (length(v) >= 2 && (first == "\"" || first == q) && substr(v, length(v), 1) == first) v = substr(v, 2, length(v) - 2)
      print v
      exit
    }
  ' "$file"
}

# Sets keys of shared.node in a system.yaml (FILE OWNER KEY=VALUE... -KEY...: set KEY, remove KEY), keeping
# every other line as it was and the file's indentation; creates the file, shared: or node: when missing.
# Writes a temporary file owned by OWNER and moves it into place, so Artifactory never reads half a file.
set_node_keys() {
  local file=$1 owner=$2 sets='' dels='' arg tmp src
  shift 2
  for arg in "$@"; do
    case $arg in
      -*) dels+="${arg#-} " ;;
      *=*) sets+="${arg};" ;;
      *) die "set_node_keys: bad argument ${arg}" ;;
    esac
  done
  src=$file
  [[ -e $file ]] || src=/dev/null
  tmp=$(mktemp "${file}.XXXXXX")
  awk -v sets="$sets" -v dels="$dels" '
    function indent(s) { match(s, /^ */); return RLENGTH }
    function content(s) { return s !~ /^[ \t]*(#.*)?$/ }
    function pad(n,  s) { s = ""; while (n-- > 0) s = s " "; return s }
    function emit_missing(ind,  i, k) {
      for (i = 1; i <= nk; i++) { k = order[i]; if (!(k in done)) { print pad(ind) k ": " want[k]; done[k] = 1 } }
    }
    BEGIN {
      n = split(sets, pairs, ";")
      for (i = 1; i <= n; i++) {
        if (pairs[i] == "") continue
        eq = index(pairs[i], "=")
        k = substr(pairs[i], 1, eq - 1)
        want[k] = substr(pairs[i], eq + 1)
        order[++nk] = k
      }
      m = split(dels, d, " ")
      for (i = 1; i <= m; i++) drop[d[i]] = 1
    }
    FNR == 1 { pass++ }
    pass == 1 {
      if (!content($0)) next
      ind = indent($0)
      if (ind == 0) {
        in_shared = ($0 ~ /^shared:[ \t]*(#.*)?$/)
        if (in_shared) shared_line = FNR
        in_node = 0
        next
      }
      if (!in_shared) next
      if (shared_ind == 0) shared_ind = ind
      if (ind == shared_ind) {
        in_node = (substr($0, ind + 1) ~ /^node:[ \t]*(#.*)?$/)
        if (in_node) { node_line = FNR; node_last = FNR }
        next
      }
      if (in_node && ind > shared_ind) {
        if (node_ind == 0) node_ind = ind
        node_last = FNR
      }
      next
    }
    {
      line = $0
      keep = 1
      if (node_line && FNR > node_line && FNR <= node_last && content(line) && indent(line) == node_ind) {
        k = substr(line, node_ind + 1)
        sub(/[ \t]*:.*$/, "", k)
        if (k in want) {
          keep = 0
          if (!(k in done)) { print pad(node_ind) k ": " want[k]; done[k] = 1 }
        } else if (k in drop) {
          keep = 0
        }
      }
      if (keep) print line
      if (node_line && FNR == node_last) {
        emit_missing(node_ind ? node_ind : 2 * (shared_ind ? shared_ind : 2))
      } else if (!node_line && shared_line && FNR == shared_line) {
        print pad(shared_ind ? shared_ind : 2) "node:"
        emit_missing(2 * (shared_ind ? shared_ind : 2))
      }
    }
    END {
      if (pass == 0) print "configVersion: 1"
      if (!shared_line) { print "shared:"; print "  node:"; emit_missing(4) }
    }
  ' "$src" "$src" >"$tmp"
  chown "${owner}:" "$tmp"
  chmod 0640 "$tmp"
  mv -f "$tmp" "$file"
}

# Sets the scalar at a dotted KEY of a system.yaml (FILE OWNER KEY VALUE, e.g.
# artifactory.tomcat.httpsConnector.enabled true) at any depth: replaces the key's line when it exists, else
# adds the missing levels at the end of the deepest section that exists, in the file's indentation; keeps
# every other line. Refuses (changing nothing) a key that holds a section rather than a scalar. Writes a
# temporary file owned by OWNER and moves it into place, so Artifactory never reads half a file.
set_yaml_key() {
  local file=$1 owner=$2 key=$3 value=$4 tmp src rc=0
  [[ $key =~ ^[A-Za-z][A-Za-z0-9_-]*(\.[A-Za-z][A-Za-z0-9_-]*)*$ ]] || die "set_yaml_key: bad key ${key}"
  [[ $value =~ ^[A-Za-z0-9._\"-]+$ ]] || die "set_yaml_key: bad value for ${key}"
  src=$file
  [[ -e $file ]] || src=/dev/null
  tmp=$(mktemp "${file}.XXXXXX")
  awk -v key="$key" -v value="$value" '
    function indent(s) { match(s, /^ */); return RLENGTH }
    function content(s) { return s !~ /^[ \t]*(#.*)?$/ }
    function pad(n,  s) { s = ""; while (n-- > 0) s = s " "; return s }
    function name(s) {
      s = substr(s, indent(s) + 1)
      if (s !~ /^[A-Za-z0-9_-]+[ \t]*:([ \t]|$)/) return ""
      sub(/[ \t]*:.*$/, "", s)
      return s
    }
    function emit(from, ind,  j) {
      for (j = from; j < n; j++) { print pad(ind) part[j] ":"; ind += unit }
      print pad(ind) part[n] ": " value
    }
    BEGIN { n = split(key, part, "."); unit = 0 }
    FNR == 1 { pass++ }
    pass == 1 {
      if (!content($0)) next
      ind = indent($0)
      while (depth > 0 && stack_ind[depth] >= ind) depth--
      if (depth > 0 && unit == 0) unit = ind - stack_ind[depth]
      depth++
      stack_ind[depth] = ind
      stack_key[depth] = name($0)
      m = 0
      while (m < depth && m < n && stack_key[m + 1] == part[m + 1]) m++
      for (j = 1; j <= m; j++) last[j] = FNR
      if (m == depth) { line_of[m] = FNR; ind_of[m] = ind }
      else if (m >= 1 && depth == m + 1 && !(m in child_ind)) child_ind[m] = ind
      next
    }
    FNR == 1 {
      if (unit == 0) unit = 2
      for (best = n; best >= 1 && !(best in line_of); best--) {}
      if (best == n && last[n] > line_of[n]) exit 3
    }
    {
      if (best == n && FNR == line_of[n]) print pad(ind_of[n]) part[n] ": " value
      else print
      if (best >= 1 && best < n && FNR == last[best])
        emit(best + 1, (best in child_ind) ? child_ind[best] : ind_of[best] + unit)
    }
    END {
      if (pass == 0) print "configVersion: 1"
      if (unit == 0) unit = 2
      if (pass < 2 || best < 1) emit(1, 0)
    }
  ' "$src" "$src" >"$tmp" || rc=$?
  if ((rc != 0)); then
    rm -f "$tmp"
    die "${file}: ${key} holds a section, not a value: nothing changed"
  fi
  chown "${owner}:" "$tmp"
  chmod 0640 "$tmp"
  mv -f "$tmp" "$file"
}

# JFrog, "Option 2: Provide your own signed certificate": Tomcat's HTTPS connector (8443) serves the custom
# certificate only with artifactory.tomcat.httpsConnector.enabled: true in system.yaml (it is off by default,
# and nothing listens on 8443 without it). Every path that installs a certificate sets it; a restart applies it.
enable_https_connector() {
  set_yaml_key "$SYSTEM_YAML" "$SERVICE_USER" artifactory.tomcat.httpsConnector.enabled true
}

# Prints the instance metadata item PATH (IMDSv2: a session token first).
imds() {
  local token
  token=$(curl -fsS --retry 3 --max-time 5 -X PUT -H 'X-aws-ec2-metadata-token-ttl-seconds: 300' "${IMDS}/api/token")
  curl -fsS --retry 3 --max-time 5 -H "X-aws-ec2-metadata-token: ${token}" "${IMDS}/meta-data/$1"
}

# Prints this instance's private IP from the instance metadata (shared.node.ip); dies when it is not one.
node_private_ip() {
  local ip
  ip=$(imds local-ipv4)
  [[ $ip =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || die "unexpected private IP from instance metadata"
  printf '%s\n' "$ip"
}

# Prints the fingerprint of the (first) certificate in FILE: SHA-256 of its DER, lowercase hex, no colons.
cert_fingerprint() {
  local digest
  digest=$(openssl x509 -in "$1" -outform DER | openssl dgst -sha256 -r) || die "${1} holds no PEM certificate"
  printf '%s\n' "${digest%% *}"
}

# Makes a new RSA key of BITS bits as custom-server.key.next (mode 0600, owned by the service user; never
# printed) and prints a CSR for it with CN = IP and one SAN IP = IP (JFrog: the certificate's subject must
# match shared.node.ip and its SANs must include the subject). The CSR is the only thing on stdout.
make_key_and_csr() {
  local bits=$1 ip=$2 tmp
  umask 077
  install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$ROUTER_KEYS_DIR"
  tmp=$(mktemp "${NEXT_KEY}.XXXXXX")
  openssl genpkey -algorithm RSA -pkeyopt "rsa_keygen_bits:${bits}" -out "$tmp" 2>/dev/null ||
    { rm -f "$tmp"; die "openssl could not make an RSA key of ${bits} bits"; }
  chown "${SERVICE_USER}:" "$tmp"
  chmod 0600 "$tmp"
  mv -f "$tmp" "$NEXT_KEY"
  openssl req -new -key "$NEXT_KEY" -sha256 -subj "/CN=${ip}" -addext "subjectAltName=IP:${ip}" -outform PEM
}

# Installs CERTIFICATE (PEM) with the key custom-server.key.next, and CA_BUNDLE (PEM) as trusted/cluster-ca.pem,
# keeping the current certificate, key and CA file as *.previous; starts nothing (a restart applies them).
# Refuses a certificate whose public key is not the next key's. Installing the certificate already installed
# is a no-op with the same answer (a retried command). Either way enables Tomcat's HTTPS connector in
# system.yaml (enable_https_connector), so the next start serves the certificate on 8443 as well as on 8082.
# Prints {"installed":"<fingerprint>","previous":...}.
install_certificate() {
  local certificate=$1 bundle=$2 work fingerprint previous=null current_key_pub cert_pub
  ((${#certificate} <= 16384)) || die 'invalid parameter CERTIFICATE: longer than 16384 characters' 2
  ((${#bundle} <= 32768)) || die 'invalid parameter CA_BUNDLE: longer than 32768 characters' 2
  umask 077
  install -d -m 0700 -o "$SERVICE_USER" -g "$SERVICE_USER" "$ROUTER_KEYS_DIR"
  install -d -m 0755 -o "$SERVICE_USER" -g "$SERVICE_USER" "$KEYS_DIR" "$TRUSTED_DIR"
  work=$(mktemp -d "${ROUTER_KEYS_DIR}/.install.XXXXXX")
  # shellcheck disable=SC2064 # expand now: work is local
  trap "rm -rf '${work}'" EXIT
  # Each file ends with exactly one newline, however the value ended.
  printf '%s\n' "${certificate%"${certificate##*[![:space:]]}"}" >"${work}/crt"
  printf '%s\n' "${bundle%"${bundle##*[![:space:]]}"}" >"${work}/ca"
  fingerprint=$(cert_fingerprint "${work}/crt")
  openssl x509 -in "${work}/ca" -noout 2>/dev/null || die 'CA_BUNDLE holds no PEM certificate'
  if [[ -s $SERVER_CRT ]] && [[ $(cert_fingerprint "$SERVER_CRT") == "$fingerprint" ]]; then
    if [[ -s ${SERVER_CRT}.previous ]]; then previous="\"$(cert_fingerprint "${SERVER_CRT}.previous")\""; fi
    enable_https_connector
    printf '{"installed":"%s","previous":%s}\n' "$fingerprint" "$previous"
    return 0
  fi
  [[ -s $NEXT_KEY ]] || die "${NEXT_KEY} does not exist: run MakeCsr first"
  cert_pub=$(openssl x509 -in "${work}/crt" -noout -pubkey)
  current_key_pub=$(openssl pkey -in "$NEXT_KEY" -pubout)
  [[ $cert_pub == "$current_key_pub" ]] ||
    die "the certificate ${fingerprint} does not match ${NEXT_KEY}: refused, nothing changed"
  if [[ -s $SERVER_CRT && -s $SERVER_KEY ]]; then
    previous="\"$(cert_fingerprint "$SERVER_CRT")\""
    cp -p "$SERVER_CRT" "${SERVER_CRT}.previous"
    cp -p "$SERVER_KEY" "${SERVER_KEY}.previous"
    if [[ -s $CLUSTER_CA ]]; then cp -p "$CLUSTER_CA" "$PREVIOUS_CA"; else rm -f "$PREVIOUS_CA"; fi
  else
    rm -f "${SERVER_CRT}.previous" "${SERVER_KEY}.previous" "$PREVIOUS_CA"
  fi
  chown "${SERVICE_USER}:" "${work}/crt" "${work}/ca"
  chmod 0644 "${work}/crt" "${work}/ca"
  mv -f "${work}/ca" "$CLUSTER_CA"
  mv -f "$NEXT_KEY" "$SERVER_KEY"
  mv -f "${work}/crt" "$SERVER_CRT"
  enable_https_connector
  printf '{"installed":"%s","previous":%s}\n' "$fingerprint" "$previous"
}
