#!/usr/bin/env bash
# RollbackCertificate: puts back the certificate, key and CA file InstallCertificate kept as *.previous, and
# keeps them (a retried rollback restores the same files). Fails, changing nothing, when there is nothing to
# restore. Starts nothing: a restart applies the files. system.yaml is not touched: its HTTPS connector stays
# enabled, since the previous certificate is served on 8443 too. Prints one JSON line: {"restored":"<fingerprint>"}
# With FINGERPRINT (the issued certificate's SHA-256), restores only when the installed certificate has that
# fingerprint: a StartArtifactory that installs and restarts in one command may fail before its install, and
# then *.previous are older files that must not replace the served ones. Otherwise changes nothing and says so
# (success): {"restored":null,"reason":"..."}.
# The document runs lib.sh before this script (strict mode, the node's paths, die, cert_fingerprint).
#
# Parameters: shell variables assigned by the header the SSM document prepends (infra/ssm-documents/index.ts).
#   FINGERPRINT  empty, or the 64-hex-digit SHA-256 of the certificate whose install is to be undone

require FINGERPRINT '^([0-9a-f]{64})?$'
if [[ -n $FINGERPRINT ]]; then
  installed=none
  [[ -s $SERVER_CRT ]] && installed=$(cert_fingerprint "$SERVER_CRT")
  if [[ $installed != "$FINGERPRINT" ]]; then
    printf '{"restored":null,"reason":"the installed certificate is %s, not %s: nothing to undo, nothing changed"}\n' \
      "$installed" "$FINGERPRINT"
    exit 0
  fi
fi

[[ -s ${SERVER_CRT}.previous && -s ${SERVER_KEY}.previous ]] ||
  die "nothing to roll back to: ${SERVER_CRT}.previous or ${SERVER_KEY}.previous does not exist"

umask 077
fingerprint=$(cert_fingerprint "${SERVER_CRT}.previous")
cp -p "${SERVER_KEY}.previous" "${SERVER_KEY}.restore"
cp -p "${SERVER_CRT}.previous" "${SERVER_CRT}.restore"
mv -f "${SERVER_KEY}.restore" "$SERVER_KEY"
mv -f "${SERVER_CRT}.restore" "$SERVER_CRT"
if [[ -s $PREVIOUS_CA ]]; then
  cp -p "$PREVIOUS_CA" "${CLUSTER_CA}.restore"
  mv -f "${CLUSTER_CA}.restore" "$CLUSTER_CA"
fi
printf '{"restored":"%s"}\n' "$fingerprint"
