/**
 * The SQL linter and parser, loaded on first use rather than with the engine: a run with nothing
 * pending (a readiness probe, a deploy pod that finds its release applied) parses no SQL and loads
 * none of the linter's forty-odd rule modules.
 */
export const linter = (): typeof import('@zdm/migration-lint') => require('@zdm/migration-lint') as typeof import('@zdm/migration-lint');
