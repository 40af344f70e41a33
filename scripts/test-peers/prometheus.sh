#!/usr/bin/env bash
# Prometheus (Debian's `prometheus` package, 2.42) as the test peer for usage gates.
#   prometheus.sh install                  install on first use (apt), print the prometheus binary's path
#   prometheus.sh start CONFIG TSDB PORT   install if needed, then run it on 127.0.0.1:PORT in the foreground
# The package installs no running service here; every test run gives the server its own tsdb folder.
set -euo pipefail
source "$(dirname "$0")/apt-peer.sh"

BIN=/usr/bin/prometheus
installed() { [[ -x "$BIN" ]] && "$BIN" --version >/dev/null 2>&1; }
install() { install_apt prometheus installed prometheus; }

case "${1:-install}" in
  install)
    install
    echo "$BIN"
    ;;
  start)
    config="${2:?usage: prometheus.sh start CONFIG TSDB PORT}"
    tsdb="${3:?usage: prometheus.sh start CONFIG TSDB PORT}"
    port="${4:?usage: prometheus.sh start CONFIG TSDB PORT}"
    install
    exec "$BIN" --config.file="$config" --storage.tsdb.path="$tsdb" --web.listen-address="127.0.0.1:$port"
    ;;
  *)
    echo "usage: prometheus.sh install | start CONFIG TSDB PORT" >&2
    exit 2
    ;;
esac
