#!/usr/bin/env bash
# gitleaks (the secret scanner) as a test tool: built from its Go module with `go install`, once, into
# a cache outside the clone (the Go build and module caches go there too), under a lock.
#   gitleaks.sh install   install on first use, print the gitleaks binary's path
# Needs Go (on PATH, or /usr/local/go/bin); exits 3 when there is none.
set -euo pipefail

VERSION=8.30.0
CACHE="${KEYROT_PEERS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/keyrot-test-peers}"
HOME_DIR="$CACHE/gitleaks-$VERSION"
BIN="$HOME_DIR/bin/gitleaks"

install() {
  local go
  go="$(command -v go || true)"
  [[ -z "$go" && -x /usr/local/go/bin/go ]] && go=/usr/local/go/bin/go
  if [[ -z "$go" ]]; then
    echo "gitleaks.sh: no Go toolchain (go on PATH or /usr/local/go/bin) to build gitleaks with" >&2
    exit 3
  fi
  mkdir -p "$CACHE"
  exec 9>"$HOME_DIR.lock"
  flock 9
  if [[ ! -f "$HOME_DIR/.installed" ]]; then
    rm -rf "$HOME_DIR"
    mkdir -p "$HOME_DIR"
    echo "building gitleaks $VERSION into $HOME_DIR (first use only, a few minutes)" >&2
    GOBIN="$HOME_DIR/bin" GOPATH="$HOME_DIR/gopath" GOMODCACHE="$HOME_DIR/gopath/pkg/mod" GOCACHE="$HOME_DIR/gocache" \
      GOFLAGS=-modcacherw "$go" install "github.com/zricethezav/gitleaks/v8@v$VERSION" >&2
    "$BIN" version >&2
    touch "$HOME_DIR/.installed"
  fi
  flock -u 9
}

case "${1:-install}" in
  install)
    install
    echo "$BIN"
    ;;
  *)
    echo "usage: gitleaks.sh install" >&2
    exit 2
    ;;
esac
