import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli';

/**
 * A throwaway project inside the repo (test/.tmp, git-ignored, so migrations still resolve the
 * workspace's packages) with its own migrate.config.json and copies of the payments migrations.
 */
export function scratchProject(label: string): { dir: string; migrations: string; writeConfig(apps: unknown[]): void; remove(): void } {
  const base = join(ROOT, 'test/.tmp');
  mkdirSync(base, { recursive: true });
  const dir = mkdtempSync(join(base, `${label}-`));
  const migrations = join(dir, 'migrations');
  cpSync(join(ROOT, 'apps/payments/migrations'), migrations, { recursive: true });
  return {
    dir,
    migrations,
    writeConfig: (apps) => writeFileSync(join(dir, 'migrate.config.json'), JSON.stringify({ apps }, null, 2)),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
