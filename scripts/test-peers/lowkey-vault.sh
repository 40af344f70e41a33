#!/usr/bin/env bash
# Lowkey Vault (an Azure Key Vault emulator, a Spring Boot jar) as a test peer.
#   lowkey-vault.sh install   fetch the jar on first use (into a cache outside the clone), print its path
# KEYROT_LOWKEY_JAR=/path/to/lowkey-vault-app.jar skips the download (a jar obtained another way).
# Exit 3: the jar cannot be had here (as of 7.3.74 the app jar is published to GitHub Packages, not
# Maven Central); the tests that need it are then skipped, and say why.
set -euo pipefail

VERSION="${KEYROT_LOWKEY_VERSION:-7.3.74}"
ARTIFACT="com.github.nagyesta.lowkey-vault:lowkey-vault-app:$VERSION"
CACHE="${KEYROT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyrot-test-peers}/lowkey-vault"
JAR="$CACHE/lowkey-vault-app-$VERSION.jar"

install() {
  if [[ -n "${KEYROT_LOWKEY_JAR:-}" ]]; then
    [[ -f "$KEYROT_LOWKEY_JAR" ]] || { echo "KEYROT_LOWKEY_JAR=$KEYROT_LOWKEY_JAR: no such file" >&2; exit 2; }
    JAR="$KEYROT_LOWKEY_JAR"
    return
  fi
  mkdir -p "$CACHE"
  exec 9>"$CACHE/install.lock" # parallel test files: one downloads, the others wait
  flock 9
  if [[ ! -f "$JAR" ]]; then
    echo "fetching $ARTIFACT from Maven Central into $CACHE (first use only)" >&2
    # -U: do not trust a cached "not found" from an earlier attempt.
    if ! mvn -q -U dependency:copy -Dartifact="$ARTIFACT" -DoutputDirectory="$CACHE" -Dmdep.overWriteReleases=true >&2; then
      echo "Lowkey Vault $VERSION is not available from Maven Central here; set KEYROT_LOWKEY_JAR to a jar to use it" >&2
      exit 3
    fi
  fi
  flock -u 9
}

case "${1:-install}" in
  install)
    install
    echo "$JAR"
    ;;
  *)
    echo "usage: lowkey-vault.sh install" >&2
    exit 2
    ;;
esac
