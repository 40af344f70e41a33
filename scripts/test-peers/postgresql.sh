#!/usr/bin/env bash
# PostgreSQL (15 on this image at /usr/lib/postgresql/15/bin, else Debian's `postgresql`) as the test
# peer of the postgresql issuer.
#   postgresql.sh install                        install on first use (apt), print the folder of its programs
#   postgresql.sh start DIR PORT ADMIN PWFILE    install if needed, make a throw-away cluster in DIR (owner
#                                                ADMIN, a superuser whose password is in PWFILE, scram-sha-256
#                                                for every login), then run it on 127.0.0.1:PORT in the foreground
# initdb and postgres refuse to run as root: as root they run as the `postgres` user (the package makes it).
set -euo pipefail
source "$(dirname "$0")/apt-peer.sh"

bindir() {
  local dir
  for dir in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$dir/initdb" && -x "$dir/postgres" ]] && { echo "$dir"; return 0; }
  done
  return 1
}
installed() { bindir >/dev/null && "$(bindir)/postgres" --version >/dev/null 2>&1; }
install() { install_apt postgresql installed postgresql; }

# As root, run as `postgres` (exec'd in place, so the caller's pid is the server's); else as ourselves.
as_owner() {
  if [[ "$(id -u)" == 0 ]]; then
    exec setpriv --reuid=postgres --regid=postgres --init-groups -- "$@"
  fi
  exec "$@"
}

case "${1:-install}" in
  install)
    install
    bindir
    ;;
  start)
    dir="${2:?usage: postgresql.sh start DIR PORT ADMIN PWFILE}"
    port="${3:?usage: postgresql.sh start DIR PORT ADMIN PWFILE}"
    admin="${4:?usage: postgresql.sh start DIR PORT ADMIN PWFILE}"
    pwfile="${5:?usage: postgresql.sh start DIR PORT ADMIN PWFILE}"
    install
    bin="$(bindir)"
    [[ "$(id -u)" == 0 ]] && chown -R postgres: "$dir" "$pwfile"
    if [[ ! -f "$dir/data/PG_VERSION" ]]; then
      (as_owner "$bin/initdb" -D "$dir/data" -A scram-sha-256 -U "$admin" --pwfile="$pwfile" -E UTF8 --no-sync >/dev/null)
    fi
    # Unix socket in DIR (not /var/run/postgresql, which may not exist); TCP on loopback only.
    as_owner "$bin/postgres" -D "$dir/data" -k "$dir" -h 127.0.0.1 -p "$port" -c fsync=off -c max_connections=200
    ;;
  *)
    echo "usage: postgresql.sh install | start DIR PORT ADMIN PWFILE" >&2
    exit 2
    ;;
esac
