/** A connection setting that cannot work: bad URL, unknown env variable value, unusable embedded server. */
export class DatabaseConfigError extends Error {
  readonly exitCode = 2;
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseConfigError';
  }
}
