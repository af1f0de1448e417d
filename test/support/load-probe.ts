import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Which modules a CLI process loaded: a `--require` script, written into `dir`, that records at the
 * process's exit, for each name, whether a loaded file's path contains its part. Each process
 * writes its own file, so processes started at once don't overwrite each other.
 */
export function loadProbe(dir: string, parts: Record<string, string>) {
  const script = join(dir, 'load-probe.cjs');
  writeFileSync(
    script,
    `const parts = ${JSON.stringify(parts)};
process.on('exit', () => {
  const files = Object.keys(require.cache);
  const loaded = Object.fromEntries(Object.entries(parts).map(([name, part]) => [name, files.some((f) => f.includes(part))]));
  require('node:fs').writeFileSync(require('node:path').join(${JSON.stringify(dir)}, 'loaded-' + process.pid + '.json'), JSON.stringify(loaded));
});\n`,
  );
  const runs = () => readdirSync(dir).filter((f) => f.startsWith('loaded-') && f.endsWith('.json'));
  return {
    /** NODE_OPTIONS for a process to probe. */
    env: { NODE_OPTIONS: `--require ${script}` },
    /** What each probed process loaded, one entry a process. */
    all: (): Record<string, boolean>[] => runs().map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, boolean>),
    /** What the one probed process loaded; the record is taken, so the next process starts afresh. */
    take(): Record<string, boolean> {
      const [only, ...more] = this.all();
      if (!only || more.length) throw new Error(`expected one probed process, found ${more.length + (only ? 1 : 0)}`);
      for (const f of runs()) rmSync(join(dir, f));
      return only;
    },
  };
}
