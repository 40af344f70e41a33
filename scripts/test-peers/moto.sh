#!/usr/bin/env bash
# moto (AWS IAM/STS/Secrets Manager in server mode) as a test peer.
#   moto.sh install       install on first use (a venv in a cache outside the clone), print moto_server's path
#   moto.sh start PORT    install if needed, then run moto_server on 127.0.0.1:PORT in the foreground
# The cache is reused across runs and clones, but never assumed: a new machine installs from scratch.
set -euo pipefail

VERSION=5.2.5
CACHE="${KEYROT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyrot-test-peers}"
VENV="$CACHE/moto-$VERSION"
BIN="$VENV/bin/moto_server"

install() {
  mkdir -p "$CACHE"
  # Several test processes may ask at once: one installs, the others wait on the lock.
  exec 9>"$CACHE/moto-$VERSION.lock"
  flock 9
  if [[ ! -f "$VENV/.installed" ]]; then
    rm -rf "$VENV" # a half-finished install from an interrupted run
    echo "installing moto $VERSION into $VENV (first use only)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$VERSION" >&2
    touch "$VENV/.installed"
  fi
  flock -u 9
}

case "${1:-install}" in
  install)
    install
    echo "$BIN"
    ;;
  start)
    port="${2:?usage: moto.sh start PORT}"
    install
    exec "$BIN" -H 127.0.0.1 -p "$port"
    ;;
  *)
    echo "usage: moto.sh install | start PORT" >&2
    exit 2
    ;;
esac
