import { MigratorError } from './migrator.error';

/** An applied migration's source differs from what ran. Exit 2. */
export class ChangedMigrationError extends MigratorError {
  readonly exitCode = 2;
  constructor(readonly migrations: { app: string; name: string }[]) {
    super(
      `${migrations.map((m) => `${m.app}/${m.name}`).join(', ')} changed after ${migrations.length > 1 ? 'they were' : 'it was'} applied: ` +
        `restore the applied version (git checkout the file), or add a new migration for the change; an edit that changes nothing that runs (a comment, whitespace): \`migrate checksum --accept ${migrations[0].name}\`; --allow-changed runs anyway`,
    );
  }
}
