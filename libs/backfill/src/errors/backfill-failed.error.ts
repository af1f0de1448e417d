/** A batch failed (at once, or after its retries for errors that can pass); the job is marked failed with the error. Exit 1. */
export class BackfillFailedError extends Error {
  readonly exitCode = 1;
  constructor(
    readonly job: string,
    readonly attempts: number,
    cause: unknown,
  ) {
    const message = (cause as { message?: string })?.message ?? String(cause);
    super(`backfill ${job} failed after ${attempts} ${attempts === 1 ? 'attempt' : 'attempts'} of its batch: ${message}; fix the cause, then run it again: it resumes where it stopped`, { cause });
    this.name = 'BackfillFailedError';
  }
}
