import type { Streams } from './streams';

export { EXIT_CODES } from './exit-codes';
export * from './config/define-config';
export * from './config/load-config';

/**
 * Runs the `migrate` command line; resolves to the exit code. The commands load on the first call:
 * a config file that imports defineConfig from here loads none of them.
 */
export function runCli(argv: string[], streams: Partial<Streams> = {}): Promise<number> {
  return (require('./cli') as typeof import('./cli')).runCli(argv, streams);
}
