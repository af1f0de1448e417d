/** Another session owns the job (its session advisory lock) for longer than --lock-wait. Exit 3. */
export class BackfillBusyError extends Error {
  readonly exitCode = 3;
  constructor(job: string, owner: string | null, waitedMs: number) {
    super(
      `backfill ${job} is running elsewhere (${owner ?? 'another session'}), which did not let go within ${(waitedMs / 1000).toFixed(1)} s (--lock-wait): ` +
        `let it finish (it does the same work), stop it (it resumes where it stopped), or run again with a longer --lock-wait`,
    );
    this.name = 'BackfillBusyError';
  }
}
