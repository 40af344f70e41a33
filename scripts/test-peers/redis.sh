#!/usr/bin/env bash
# Redis (Debian's `redis-server`, 7.0) as the test peer of the redis issuer.
#   redis.sh install         install on first use (apt), print redis-server's path
#   redis.sh start DIR PORT  install if needed, then run it on 127.0.0.1:PORT in the foreground, with DIR as
#                            its working folder, no snapshots, and an ACL file DIR/users.acl (for ACL SAVE)
# The package's own service is not used: every test run has its own folder.
set -euo pipefail
source "$(dirname "$0")/apt-peer.sh"

BIN=/usr/bin/redis-server
installed() { [[ -x "$BIN" ]] && "$BIN" --version >/dev/null 2>&1; }
install() { install_apt redis installed redis-server; }

case "${1:-install}" in
  install)
    install
    echo "$BIN"
    ;;
  start)
    dir="${2:?usage: redis.sh start DIR PORT}"
    port="${3:?usage: redis.sh start DIR PORT}"
    install
    touch "$dir/users.acl"
    exec "$BIN" --port "$port" --bind 127.0.0.1 --dir "$dir" --save "" --appendonly no --aclfile "$dir/users.acl" --daemonize no --loglevel warning
    ;;
  *)
    echo "usage: redis.sh install | start DIR PORT" >&2
    exit 2
    ;;
esac
