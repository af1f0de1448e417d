/** The base of every error the engine raises: a message a user can act on and an exit code from one table. */
export abstract class MigratorError extends Error {
  abstract readonly exitCode: number;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}
