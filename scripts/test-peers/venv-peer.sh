# Shared by the test-peer scripts that install from PyPI (moto, OpenBao): one virtualenv per peer
# version in a cache outside the clone, installed once under a lock. The cache is reused across runs
# and clones, but never assumed: a new machine installs from scratch. Source it, then call
#   install_venv NAME VERSION REQUIREMENT [CHECK_FUNCTION]
# which leaves the venv at "$VENV" (CHECK_FUNCTION, if given, must succeed before the install counts).

CACHE="${KEYROT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyrot-test-peers}"

install_venv() {
  local name="$1" version="$2" requirement="$3" check="${4:-}"
  VENV="$CACHE/$name-$version"
  mkdir -p "$CACHE"
  # Several test processes may ask at once: one installs, the others wait on the lock.
  exec 9>"$CACHE/$name-$version.lock"
  flock 9
  if [[ ! -f "$VENV/.installed" ]]; then
    rm -rf "$VENV" # a half-finished install from an interrupted run
    echo "installing $requirement into $VENV (first use only)" >&2
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check "$requirement" >&2
    if [[ -n "$check" ]]; then "$check" >&2; fi
    touch "$VENV/.installed"
  fi
  flock -u 9
}
