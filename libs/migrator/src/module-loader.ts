import { existsSync, readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, extname, join } from 'node:path';

let typescriptRegistered = false;

/**
 * Loads a migration (or config) module the way the plain ORM CLIs do. TypeScript goes through
 * ts-node with the swc transpiler and no type checking, registered on first use only, so a run
 * that needs no TypeScript pays nothing for it.
 */
export function requireModule(file: string): Record<string, unknown> {
  if (/\.[cm]?ts$/.test(file) && !typescriptRegistered && !require.extensions['.ts']) {
     
    const tsNode = require('ts-node') as typeof import('ts-node');
    tsNode.register({
      transpileOnly: true,
      swc: true,
      compilerOptions: { module: 'commonjs', moduleResolution: 'node10', experimentalDecorators: true, emitDecoratorMetadata: true },
    });
    typescriptRegistered = true;
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(file) as Record<string, unknown>;
}

/** The exported classes of a module, in export order. */
export function exportedClasses(module: Record<string, unknown>): (new (...args: unknown[]) => Record<string, unknown>)[] {
  return Object.values(module).filter(
    (value): value is new (...args: unknown[]) => Record<string, unknown> => typeof value === 'function' && typeof value.prototype?.up === 'function',
  );
}

/** A migration's name everywhere: its file's base name without extension. */
export function migrationName(file: string): string {
  return basename(file, extname(file));
}

export const MANIFEST_FILE = 'migrations.manifest.json';

/**
 * sha256 of the migration's source with line endings normalised. Compiled JavaScript takes the
 * checksum its source had, from the manifest the build writes beside it, so a build never turns
 * an applied migration `changed`.
 */
export function migrationChecksum(file: string): string {
  if (extname(file) === '.js') {
    const manifest = join(dirname(file), MANIFEST_FILE);
    if (existsSync(manifest)) {
      const entry = (JSON.parse(readFileSync(manifest, 'utf8')) as Record<string, string>)[migrationName(file)];
      if (entry) return entry;
    }
  }
  return sourceChecksum(readFileSync(file, 'utf8'));
}

export function sourceChecksum(source: string): string {
  return createHash('sha256').update(source.replace(/\r\n?/g, '\n')).digest('hex');
}
