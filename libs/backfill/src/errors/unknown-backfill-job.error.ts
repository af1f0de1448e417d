/** A job name no app registers. Exit 2. */
export class UnknownBackfillJobError extends Error {
  readonly exitCode = 2;
  constructor(name: string, registered: string[]) {
    super(`no backfill job named "${name}": the registered jobs are ${registered.length ? registered.join(', ') : 'none (list job files under "backfills" in the config)'}`);
    this.name = 'UnknownBackfillJobError';
  }
}
