#!/usr/bin/env bash
# kubernetes-validate (PyPI): validates Kubernetes manifests against the JSON schemas of a Kubernetes
# version, offline (the schemas ship inside the package). Used by test/unit/kubernetes-example.test.ts
# on examples/kubernetes/.
#   kubernetes-validate.sh install   install on first use (a venv in the peer cache), print its path
set -euo pipefail

VERSION=1.37.0
source "$(dirname "$0")/venv-peer.sh"

check() { "$VENV/bin/kubernetes-validate" --version; }

case "${1:-install}" in
  install)
    install_venv kubernetes-validate "$VERSION" "kubernetes-validate==$VERSION" check
    echo "$VENV/bin/kubernetes-validate"
    ;;
  *)
    echo "usage: $0 install" >&2
    exit 2
    ;;
esac
