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
