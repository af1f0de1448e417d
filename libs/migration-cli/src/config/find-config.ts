import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const CONFIG_FILES = ['migrate.config.ts', 'migrate.config.js', 'migrate.config.json'];

/** The nearest config file from `cwd` upward. */
export function findConfig(cwd: string): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) if (existsSync(join(dir, name))) return join(dir, name);
    if (dirname(dir) === dir) return undefined;
  }
}

/** Every config file in `dir`, in the order findConfig reads them: the first one wins. */
export function configsIn(dir: string): string[] {
  return CONFIG_FILES.filter((name) => existsSync(join(dir, name)));
}

/** When a folder has more than one config file: which one is read, and what to do about the others. */
export function whichConfigWins(dir: string): string | undefined {
  const [winner, ...others] = configsIn(dir);
  if (!others.length) return undefined;
  return `${dir} has ${[winner, ...others].join(', ')}: ${winner} is read and ${others.join(', ')} ${others.length > 1 ? 'are' : 'is'} ignored; remove the one you do not mean`;
}
