#!/usr/bin/env bash
# Prometheus (Debian's `prometheus` package, 2.42) as the test peer for usage gates.
#   prometheus.sh install                  install on first use (apt), print the prometheus binary's path
#   prometheus.sh start CONFIG TSDB PORT   install if needed, then run it on 127.0.0.1:PORT in the foreground
# The package installs no running service here; every test run gives the server its own tsdb folder.
# apt is the cache: a machine that has the package skips the install, a new one installs from scratch.
set -euo pipefail

CACHE="${KEYROT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyrot-test-peers}"
BIN=/usr/bin/prometheus

installed() { [[ -x "$BIN" ]] && "$BIN" --version >/dev/null 2>&1; }

install() {
  installed && return 0
  mkdir -p "$CACHE"
  # Several test processes may ask at once: one installs, the others wait on the lock and find it there.
  exec 9>"$CACHE/prometheus.lock"
  flock 9
  if ! installed; then
    local sudo=()
    [[ "$(id -u)" == 0 ]] || sudo=(sudo -n)
    echo "installing Debian's prometheus package (first use only)" >&2
    # apt's own locks are waited for too: another apt on this machine (not ours) may be running.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends prometheus >&2
    installed || { echo "prometheus was installed but $BIN does not run" >&2; exit 1; }
  fi
  flock -u 9
}

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
