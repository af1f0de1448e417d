#!/usr/bin/env node
// After the build: beside each app's compiled migrations, the manifest of their source checksums,
// so a runner that has only the compiled JavaScript (a Docker image) never sees them as changed.
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { writeMigrationManifest } = createRequire(import.meta.url)(join(root, 'libs/migrator/dist/index.js'));
for (const app of readdirSync(join(root, 'apps'))) {
  const source = join(root, 'apps', app, 'migrations');
  const compiled = join(root, 'apps', app, 'dist/migrations');
  if (existsSync(source) && existsSync(compiled)) writeMigrationManifest(source, compiled);
}
