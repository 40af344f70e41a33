#!/usr/bin/env bash
# The shell baseline of bench/iam-fleet.mjs: the reference article's two-phase rotation script
# (docs: /work/shared/reference, "Two-phase, zero-downtime rotation for an AWS access key"), per user,
# with its waits at zero and its OLD_ID given, one aws CLI process per call, as the article runs it:
# create the new key, write it to a file (mode 0600), check with STS that the new key authenticates,
# deactivate the old key, delete it. No secret is printed.
#   aws-shell-rotate.sh --install   install the aws CLI (PyPI) into the peer cache, print its path
#   AWS_CLI=... ENDPOINT=... OUT_DIR=... aws-shell-rotate.sh < "user old_key_id" lines
set -euo pipefail

VERSION=1.42.0
if [[ "${1:-}" == "--install" ]]; then
  source "$(dirname "$0")/../scripts/test-peers/venv-peer.sh"
  install_venv awscli "$VERSION" "awscli==$VERSION"
  echo "$VENV/bin/aws"
  exit 0
fi

aws() { "$AWS_CLI" --endpoint-url "$ENDPOINT" "$@"; }
umask 077
while read -r USER OLD_ID; do
  [[ -n "$USER" ]] || continue
  # Phase 1: create the new key alongside the existing one
  NEW=$(aws iam create-access-key --user-name "$USER" --query 'AccessKey.[AccessKeyId,SecretAccessKey]' --output text)
  NEW_ID=$(echo "$NEW" | cut -f1)
  NEW_SECRET=$(echo "$NEW" | cut -f2)
  # Publish: the consumers' file
  printf '{"access_key_id":"%s","secret_access_key":"%s"}\n' "$NEW_ID" "$NEW_SECRET" > "$OUT_DIR/$USER.json"
  # Check the new key authenticates
  AWS_ACCESS_KEY_ID="$NEW_ID" AWS_SECRET_ACCESS_KEY="$NEW_SECRET" aws sts get-caller-identity --query Arn --output text > /dev/null
  # sleep 900 (overlap window): zero here, as keyrot's drain is
  # Phase 2: deactivate (reversible), then delete (soak zero here)
  aws iam update-access-key --user-name "$USER" --access-key-id "$OLD_ID" --status Inactive
  aws iam delete-access-key --user-name "$USER" --access-key-id "$OLD_ID"
done
