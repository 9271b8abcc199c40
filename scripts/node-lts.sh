#!/usr/bin/env bash
# A supported Node for sealdock (>= 22.12), without root and without a system package: the
# official build from the npm registry's node-linux-<arch> package (bin/node and the headers in
# include/node), cached under ~/.cache/sealdock/node-<version>. README, .ci/run and the npm
# scripts all use this one script, so they agree on the version.
#
#   scripts/node-lts.sh [--version V] dir        install if needed, print the directory
#   scripts/node-lts.sh [--version V] env        print export lines (PATH, npm_config_nodedir): eval "$(scripts/node-lts.sh env)"
#   scripts/node-lts.sh [--version V] exec CMD…  run CMD with a supported Node first on PATH: the
#                                                 node already on PATH when it is >= 22.12 (unless
#                                                 --version asks for one), else the pinned LTS
#
# SEALDOCK_CACHE overrides the cache directory.
set -euo pipefail

PINNED=24.21.0 # Node 24 LTS ("Krypton"); CI also runs the suite on 22 (see .ci/run)
MIN_MAJOR=22
MIN_MINOR=12

version=""
if [[ ${1:-} == --version ]]; then
  version=${2:?--version needs a value}
  shift 2
fi
mode=${1:-dir}
[[ $# -gt 0 ]] && shift

cache=${SEALDOCK_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/sealdock}

supported() { # node binary → 0 when it is >= MIN
  local v
  v=$("$1" -p 'process.versions.node' 2>/dev/null) || return 1
  local major=${v%%.*} rest=${v#*.}
  local minor=${rest%%.*}
  ((major > MIN_MAJOR || (major == MIN_MAJOR && minor >= MIN_MINOR)))
}

install() { # version → prints the directory
  local v=$1 arch
  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *)
      echo "node-lts: no node-linux package for $(uname -m); install Node >= $MIN_MAJOR.$MIN_MINOR yourself" >&2
      exit 1
      ;;
  esac
  local dir="$cache/node-$v"
  if [[ ! -x $dir/bin/node ]]; then
    command -v npm >/dev/null || {
      echo "node-lts: npm is needed once to fetch node-linux-$arch@$v" >&2
      exit 1
    }
    mkdir -p "$cache"
    local tmp
    tmp=$(mktemp -d "$cache/.node-$v.XXXXXX")
    # npm pack checks the tarball against the registry's integrity hash.
    echo "node-lts: fetching node-linux-$arch@$v from the npm registry into $dir" >&2
    (cd "$tmp" && npm pack --silent "node-linux-$arch@$v" >/dev/null)
    tar -xzf "$tmp"/node-linux-"$arch"-"$v".tgz -C "$tmp"
    [[ $("$tmp/package/bin/node" -p 'process.versions.node') == "$v" ]] || {
      echo "node-lts: the fetched package does not run as Node $v" >&2
      exit 1
    }
    # Renamed into place whole: a concurrent or interrupted install never leaves half a Node.
    mv -T "$tmp/package" "$dir" 2>/dev/null || [[ -x $dir/bin/node ]]
    rm -rf "$tmp"
  fi
  echo "$dir"
}

case "$mode" in
  dir) install "${version:-$PINNED}" ;;
  env)
    dir=$(install "${version:-$PINNED}")
    printf 'export PATH=%q:"$PATH"\n' "$dir/bin"
    # npm builds better-sqlite3 with node-gyp at install (binding.gyp, no install script of its
    # own): point it at this Node's headers (include/node in the package), not a download from
    # nodejs.org, which a closed network refuses.
    printf 'export npm_config_nodedir=%q\n' "$dir"
    ;;
  exec)
    [[ $# -gt 0 ]] || {
      echo "usage: scripts/node-lts.sh [--version V] exec COMMAND [ARG…]" >&2
      exit 2
    }
    current=$(command -v node || true)
    if [[ -z $version && -n $current ]] && supported "$current"; then
      exec "$@"
    fi
    dir=$(install "${version:-$PINNED}")
    if [[ -z $version ]]; then
      echo "node-lts: ${current:-no node} is older than $MIN_MAJOR.$MIN_MINOR (or missing); using Node $PINNED from $dir" >&2
    fi
    PATH="$dir/bin:$PATH" exec "$@"
    ;;
  *)
    echo "usage: scripts/node-lts.sh [--version V] dir|env|exec COMMAND…" >&2
    exit 2
    ;;
esac
