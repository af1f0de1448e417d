import { ConfigError } from '@zdm/migrator';
import type { FleetTarget } from './fleet-targets';

export interface FleetRunOptions {
  /** At most this many targets in flight (default 4), each with its few connections. */
  parallel?: number | string;
  /** Run this many targets first; any failure among them stops the run. */
  canary?: number | string;
  /** Ordered waves, `1,10%,100%`: each starts only when the previous one succeeded. */
  stages?: string;
  /** Go on starting targets after one failed (default: stop starting, finish the running ones). */
  continueOnError?: boolean;
}

/** What one target's run came to. */
export interface TargetResult {
  code: number;
  /** Migrations applied (or reverted), when the command changes the schema. */
  changed?: number;
  /** The first line of the error, when it failed. */
  error?: string;
}

export interface TargetOutcome extends TargetResult {
  target: string;
  state: 'done' | 'current' | 'failed' | 'not-started';
  durationMs: number;
}

export const DEFAULT_PARALLEL = 4;

/** The bound --parallel sets (default 4). */
export function parallelOf(options: Pick<FleetRunOptions, 'parallel'>): number {
  return positive(options.parallel, '--parallel', DEFAULT_PARALLEL);
}

function positive(value: number | string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new ConfigError(`${flag} ${value}: a whole number of at least 1`);
  return n;
}

/** The waves a run goes in: the canary, then the stages (cumulative counts or percentages of the fleet), then the rest. */
export function wavesOf(count: number, options: Pick<FleetRunOptions, 'canary' | 'stages'>): number[] {
  const ends: number[] = [];
  if (options.canary !== undefined) ends.push(Math.min(count, positive(options.canary, '--canary', 1)));
  for (const stage of options.stages?.split(',').map((s) => s.trim()).filter(Boolean) ?? []) {
    const percent = /^(\d+(?:\.\d+)?)%$/.exec(stage);
    const n = percent ? Math.ceil((Number(percent[1]) / 100) * count) : Number(stage);
    if (!Number.isFinite(n) || n < 0 || (!percent && !/^\d+$/.test(stage))) throw new ConfigError(`--stages ${options.stages}: each stage is a count or a percentage of the targets, e.g. 1,10%,100%`);
    ends.push(Math.min(count, Math.max(n, ends.at(-1) ?? 0)));
  }
  ends.push(count);
  const sizes: number[] = [];
  let start = 0;
  for (const end of ends) {
    if (end > start) sizes.push(end - start);
    start = Math.max(start, end);
  }
  return sizes;
}

/**
 * Runs `run` over the targets: at most `parallel` at once, wave after wave. A failure stops new
 * starts (the running ones finish) unless `continueOnError`; a wave that had a failure ends the
 * run either way, so a canary protects the rest.
 */
export async function runOverFleet(targets: FleetTarget[], options: FleetRunOptions, run: (target: FleetTarget) => Promise<TargetResult>): Promise<TargetOutcome[]> {
  const parallel = parallelOf(options);
  const outcomes = new Map<string, TargetOutcome>(targets.map((t) => [t.name, { target: t.name, code: 0, state: 'not-started', durationMs: 0 }]));
  let offset = 0;
  for (const size of wavesOf(targets.length, options)) {
    const wave = targets.slice(offset, offset + size);
    offset += size;
    let next = 0;
    let failed = false;
    const worker = async () => {
      while (next < wave.length && !(failed && !options.continueOnError)) {
        const target = wave[next++];
        const started = Date.now();
        let result: TargetResult;
        try {
          result = await run(target);
        } catch (error) {
          result = { code: (error as { exitCode?: number }).exitCode ?? 1, error: String((error as Error)?.message ?? error).split('\n')[0] };
        }
        const state = result.code !== 0 ? 'failed' : result.changed ? 'done' : 'current';
        if (state === 'failed') failed = true;
        outcomes.set(target.name, { target: target.name, ...result, state, durationMs: Date.now() - started });
      }
    };
    await Promise.all(Array.from({ length: Math.min(parallel, wave.length) }, worker));
    if (failed) break;
  }
  return targets.map((t) => outcomes.get(t.name)!);
}
