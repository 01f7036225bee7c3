#!/usr/bin/env bash
# Builds the test rig's binaries from the Go module proxy and caches them
# outside the clone, keyed by the tool module's go.mod/go.sum, so a rebuild
# happens only when a pinned version changes.
#
#   hack/tools/install.sh [kube|etcd|vault|gen|promop ...]   (default: all)
#
# Prints nothing but progress on stderr; prints the bin directory of each tool
# set on stdout with `--print-dir NAME`.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${VSO_TOOLS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vault-sync-operator/tools}"

# key NAME: a short digest of the module definition and of the set's own Go
# sources (promop's promql-signal); a new pin or a changed tool gives a new dir.
key() {
  # shellcheck disable=SC2046 # one argument per file; the paths have no spaces
  cat "$here/$1/go.mod" "$here/$1/go.sum" $(find "$here/$1" -name '*.go' | sort) 2>/dev/null | sha256sum | cut -c1-12
}
dir_of() { echo "$cache_root/$1-$(key "$1")"; }

# build NAME LDFLAGS PKG...: builds each tool package of module NAME into its
# cache dir unless a previous build completed (marked by .complete).
build() {
  local name="$1" ldflags="$2"; shift 2
  local dir; dir="$(dir_of "$name")"
  if [[ -f "$dir/.complete" ]]; then return 0; fi
  echo "building $name tools into $dir (first run only; this takes minutes)" >&2
  mkdir -p "$dir/bin"
  local start=$SECONDS
  (cd "$here/$name" && GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags="$ldflags" -o "$dir/bin/" "$@")
  # go names the etcd binary after its module path ("server"); the rig wants "etcd".
  if [[ -e "$dir/bin/server" ]]; then mv "$dir/bin/server" "$dir/bin/etcd"; fi
  if [[ "$name" == promop ]]; then promop_extras "$dir"; fi
  touch "$dir/.complete"
  echo "built $name tools in $((SECONDS - start))s" >&2
}

# promop_extras DIR: names the operator binary and copies the CRDs that
# prometheus-operator's module ships for exactly this version into DIR/crds.
promop_extras() {
  mv "$1/bin/operator" "$1/bin/prometheus-operator"
  local mod
  mod="$(cd "$here/promop" && GOFLAGS=-mod=mod go list -m -f '{{.Dir}}' github.com/prometheus-operator/prometheus-operator)"
  mkdir -p "$1/crds"
  cp "$mod"/example/prometheus-operator-crd/*.yaml "$1/crds/"
  chmod u+w "$1"/crds/*.yaml
}

if [[ "${1:-}" == "--print-dir" ]]; then
  echo "$(dir_of "$2")/bin"; exit 0
fi

targets=("$@"); [[ ${#targets[@]} -eq 0 ]] && targets=(etcd gen vault kube promop)
for t in "${targets[@]}"; do
  case "$t" in
    kube)  build kube "-s -w" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
             k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl ;;
    etcd)  build etcd "-s -w" go.etcd.io/etcd/server/v3 ;;
    vault) build vault "-s -w" github.com/hashicorp/vault ;;
    gen)   build gen "-s -w" sigs.k8s.io/controller-tools/cmd/controller-gen helm.sh/helm/v3/cmd/helm sigs.k8s.io/kwok/cmd/kwok ;;
    promop) build promop "-s -w" github.com/prometheus-operator/prometheus-operator/cmd/operator ./promql-signal ;;
    *) echo "unknown tool set $t" >&2; exit 2 ;;
  esac
done
