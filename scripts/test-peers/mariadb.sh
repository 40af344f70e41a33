#!/usr/bin/env bash
# MariaDB (Debian's `mariadb-server`, 10.11) as the test peer of the mysql issuer.
#   mariadb.sh install         install on first use (apt), print mariadbd's path
#   mariadb.sh start DIR PORT  install if needed, make a throw-away data folder in DIR (root@localhost with
#                              no password, reached through the socket DIR/s only), then run the server on
#                              127.0.0.1:PORT in the foreground
# The package's own service is not used: every test run has its own data folder.
set -euo pipefail
source "$(dirname "$0")/apt-peer.sh"

BIN=/usr/sbin/mariadbd
installed() { [[ -x "$BIN" ]] && command -v mariadb-install-db >/dev/null && "$BIN" --version >/dev/null 2>&1; }
install() { install_apt mariadb installed mariadb-server; }

case "${1:-install}" in
  install)
    install
    echo "$BIN"
    ;;
  start)
    dir="${2:?usage: mariadb.sh start DIR PORT}"
    port="${3:?usage: mariadb.sh start DIR PORT}"
    install
    if [[ ! -d "$dir/data/mysql" ]]; then
      mariadb-install-db --no-defaults --datadir="$dir/data" --auth-root-authentication-method=normal --skip-test-db --user="$(id -un)" >/dev/null
    fi
    exec "$BIN" --no-defaults --datadir="$dir/data" --socket="$dir/s" --port="$port" --bind-address=127.0.0.1 \
      --user="$(id -un)" --skip-log-bin --skip-name-resolve --innodb-flush-log-at-trx-commit=0 --pid-file="$dir/pid"
    ;;
  *)
    echo "usage: mariadb.sh install | start DIR PORT" >&2
    exit 2
    ;;
esac
