/** Another process owns the job (its session advisory lock) for longer than the wait. Exit 3. */
export class BackfillBusyError extends Error {
  readonly exitCode = 3;
  constructor(job: string, owner: string | null, waitedMs: number) {
    super(`backfill ${job} is running elsewhere (${owner ?? 'another session'}) and did not finish within ${Math.round(waitedMs / 1000)} s: wait for it, or take other key ranges with --workers`);
    this.name = 'BackfillBusyError';
  }
}
