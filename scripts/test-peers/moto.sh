#!/usr/bin/env bash
# moto (AWS IAM/STS/Secrets Manager in server mode) as a test peer.
#   moto.sh install       install on first use (a venv in a cache outside the clone), print moto_server's path
#   moto.sh start PORT    install if needed, then run moto_server on 127.0.0.1:PORT in the foreground
set -euo pipefail

VERSION=5.2.5
source "$(dirname "$0")/venv-peer.sh"

install() {
  install_venv moto "$VERSION" "moto[server]==$VERSION"
}
BIN="$CACHE/moto-$VERSION/bin/moto_server"

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
