#!/usr/bin/env bash
# RollbackCertificate: puts back the certificate, key and CA file InstallCertificate kept as *.previous, and
# keeps them (a retried rollback restores the same files). Fails, changing nothing, when there is nothing to
# restore. Starts nothing: a restart applies the files. system.yaml is not touched: its HTTPS connector stays
# enabled, since the previous certificate is served on 8443 too. Prints one JSON line: {"restored":"<fingerprint>"}
# The document runs lib.sh before this script (strict mode, the node's paths, die, cert_fingerprint).

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
