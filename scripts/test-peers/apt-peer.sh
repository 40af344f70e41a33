# Shared by the test-peer scripts that install a Debian package (Prometheus, PostgreSQL, MariaDB,
# Redis): installed on first use under a lock, so parallel test processes install once. apt is the
# cache: a machine that has the package skips the install, a new one installs from scratch. Source
# it, then call
#   install_apt NAME CHECK_FUNCTION PACKAGE...
# CHECK_FUNCTION must succeed once the package is there (it is asked before and after installing).

CACHE="${KEYROT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyrot-test-peers}"

install_apt() {
  local name="$1" check="$2"
  shift 2
  "$check" && return 0
  mkdir -p "$CACHE"
  # Several test processes may ask at once: one installs, the others wait on the lock and find it there.
  exec 9>"$CACHE/$name.lock"
  flock 9
  if ! "$check"; then
    local sudo=()
    [[ "$(id -u)" == 0 ]] || sudo=(sudo -n)
    echo "installing Debian's $* (first use only)" >&2
    # apt's own locks are waited for too: another apt on this machine (not ours) may be running.
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 update -qq >&2
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 install -y -qq --no-install-recommends "$@" >&2
    "$check" || { echo "$* installed, but $name does not run" >&2; exit 1; }
  fi
  flock -u 9
}
