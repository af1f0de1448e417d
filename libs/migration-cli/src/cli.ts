import { Command, CommanderError, Option } from 'commander';
import { createLogger, createRedactor } from '@zdm/observability';
import { backfillCommand } from './commands/backfill.command';
import { checkCommand } from './commands/check.command';
import { downCommand } from './commands/down.command';
import { generateCommand } from './commands/generate.command';
import { initCommand } from './commands/init.command';
import { LINT_FORMATS, lintCommand } from './commands/lint.command';
import { planCommand } from './commands/plan.command';
import { revertCommand } from './commands/revert.command';
import { statusCommand } from './commands/status.command';
import { upCommand } from './commands/up.command';
import { VERIFY_FORMATS, verifyCommand } from './commands/verify.command';
import { restoreCommand } from './commands/restore.command';
import { TEMPLATES, templateCommand, type TemplateOptions } from './commands/generate-template';
import { redactingStream } from './redacting-stream';
import { CommandContext, type GlobalOptions, type Streams } from './context';
import { EXIT_CODES } from './exit-codes';

export { EXIT_CODES } from './exit-codes';


const collect = (value: string, previous: string[]) => [...previous, value];

/** Runs the `migrate` command line; resolves to the exit code. */
export async function runCli(argv: string[], streams: Partial<Streams> = {}): Promise<number> {
  const env = streams.env ?? process.env;
  // every byte of the command goes through the one redactor: the raw env's until the context
  // (which has read the .env files too) exists, then the context's
  const rawRedactor = createRedactor(env);
  const stdout = redactingStream(streams.stdout ?? process.stdout, rawRedactor);
  const stderr = redactingStream(streams.stderr ?? process.stderr, rawRedactor);
  const io: Streams = {
    stdout: stdout.stream,
    stderr: stderr.stream,
    cwd: streams.cwd ?? process.cwd(),
    env,
    isTTY: streams.isTTY ?? Boolean(process.stderr.isTTY),
  };
  let exitCode = 0;
  let context: CommandContext | undefined;
  const program = new Command('migrate');
  const globals = () => program.opts<GlobalOptions>();
  const withContext = (work: (ctx: CommandContext) => Promise<number>) => async () => {
    context = CommandContext.create(io, globals());
    stdout.setRedactor(context.out.redact);
    stderr.setRedactor(context.out.redact);
    exitCode = await work(context);
  };

  program
    .description('Zero-downtime PostgreSQL migrations for TypeORM and MikroORM apps: one runner, one lock, one run log.')
    .option('-c, --config <path>', 'the config file (default: migrate.config.ts/.js/.json here or above)')
    .option('-a, --app <name>', 'an app from the config (repeatable; default: every app, in configured order)', collect, [])
    .option('--json', 'machine output: one JSON document (status, plan, lint) or one JSON line per event (up, down, revert)')
    .option('-v, --verbose', 'every statement with its duration, loaded env files, stack traces')
    .option('--embedded', 'use the embedded PostgreSQL when no DATABASE_URL is set, even with ENV=production or staging or NODE_ENV=production')
    .addHelpText('after', `\n${EXIT_CODES}`)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  const runOptions = (command: Command) =>
    command
      .option('--lock-wait <duration>', 'how long to wait for another run to finish (e.g. 30s, 10m)', undefined)
      .option('--report <file>', 'write the run as JSON to this file')
      .option('--metrics-file <file>', 'write Prometheus metrics to this file (node exporter textfile collector)');

  program
    .command('status')
    .description('every migration of every app: applied, pending, changed or missing, with applied time and duration')
    .option('--exit-code', "exit 6 while this release's migrations are pending or changed (readiness checks, CI gates)")
    .option('--strict', 'with --exit-code, count applied migrations this release has no file for (missing) too')
    .action(async (options: { exitCode?: boolean; strict?: boolean }) => withContext((ctx) => statusCommand(ctx, options))());

  runOptions(
    program
      .command('up')
      .description('apply pending migrations (DRY_RUN=1 shows the plan instead)')
      .option('--to <name>', 'stop after this migration (it is applied)')
      .option('--allow-changed', 'run even though an applied migration was edited')
      .option('--no-revert-on-failure', 'keep what this run applied when a migration fails')
      .option('--unsafe-ok', 'run even though the lint gate finds error-level hazards in what is about to run')
      // ---- backups before destructive steps (delivery) ----
      .option('--backup-dir <dir>', 'before a migration drops, truncates or rewrites data, copy it out here (COPY, gzip); must be durable (a mounted volume)')
      .option('--no-backup', 'with ENV=production, run such a migration without a backup, on purpose'),
  ).action(async (options) => withContext((ctx) => upCommand(ctx, options))());

  runOptions(
    program
      .command('down')
      .description("revert one app's newest migrations (default one step)")
      .option('--step <n>', 'how many migrations to revert')
      .option('--to <name>', 'revert everything after this migration; it stays applied')
      .option('-y, --yes', 'confirm reverting with ENV=production'),
  ).action(async (options) => withContext((ctx) => downCommand(ctx, options))());

  runOptions(
    program
      .command('revert')
      .description('revert every migration the most recent up run applied, across apps, newest first')
      .option('-y, --yes', 'confirm reverting with ENV=production'),
  ).action(async (options) => withContext((ctx) => revertCommand(ctx, options))());

  program
    .command('plan')
    .description('the dry run: the exact SQL each pending migration would execute, executing none of it')
    .option('--to <name>', 'plan up to this migration')
    .action(async (options: { to?: string }) => withContext((ctx) => planCommand(ctx, options))());

  program
    .command('generate')
    .description("write a migration from the ORM's schema diff, named YYYYMMDDHHmm__<description>")
    .argument('<description>', 'lower-case words joined by _, e.g. add_refund_reason')
    // ---- templates: the safe multi-step files of a common change (delivery) ----
    .addOption(new Option('--template <name>', 'write the safe multi-step migrations of a common change instead of the schema diff').choices([...TEMPLATES]))
    .option('--table <table>', 'with --template: the table')
    .option('--column <column>', 'with --template: the column (add-index: columns joined by ,)')
    .option('--type <type>', 'with --template add-column, rename-column, change-type: the (new) column\'s type')
    .option('--to <column>', 'with --template rename-column, change-type: the new column')
    .option('--references <table(column)>', 'with --template add-foreign-key: what the column references')
    .action(async (description: string, options: Omit<TemplateOptions, 'template'> & { template?: string }) =>
      withContext((ctx) => (options.template ? templateCommand(ctx, description, { ...options, template: options.template }) : generateCommand(ctx, description)))(),
    );

  program
    .command('check')
    .description('exit 4 when the entities and the database differ (CI: "generate finds no changes")')
    .action(async () => withContext((ctx) => checkCommand(ctx))());

  program
    .command('lint')
    .description('find locking hazards in the SQL migrations emit: the files given, those changed since a git ref, else the pending ones (exit 5 on an error finding)')
    .argument('[paths...]', 'migration files (TypeScript or compiled, either ORM: linted by the SQL they emit) or .sql files')
    .option('--since <git-ref>', 'lint the migration files the branch added or changed since it left this ref (a three-dot diff)')
    .addOption(new Option('--format <format>', 'text, json, github (annotations) or sarif (2.1.0)').choices([...LINT_FORMATS]))
    .action(async (paths: string[], options: { format?: string; since?: string }) => withContext((ctx) => lintCommand(ctx, paths, options))());

  program
    .command('backfill')
    .description('run a registered backfill job: batched, throttled, resumable')
    .argument('[job]', 'the job name')
    .option('--status', 'list the jobs and their progress')
    .option('--batch-size <n>', 'rows per batch to start with (it adapts to the target batch time)')
    .option('--batch-time <duration>', 'the time each batch stays under (default 200ms): shorter batches hold row locks for less time')
    .option('--workers <n>', 'split the key range over this many workers')
    .option('--max-rows-per-second <n>', 'throttle to this rate')
    .option('--lock-wait <duration>', 'how long to wait for another session that runs the same job (default 10m; then exit 3)')
    .action(async (job: string | undefined, options) => withContext((ctx) => backfillCommand(ctx, job, options))());

  // ---- verify: the reversibility check (delivery) ----
  program
    .command('verify')
    .description("check each migration's down() on scratch databases of our own: up, down (the schema must be the one before up), up again; default the migrations pending on the target (exit 1 on a failure)")
    .argument('[paths...]', 'migration files of a configured app to check (in the app\'s order)')
    .option('--since <git-ref>', 'check the migration files the branch added or changed since it left this ref (a three-dot diff)')
    .option('--all', 'check every migration of the selected apps, whatever the target has applied')
    .option('--scratch-url <url>', 'a server to create (and drop) scratch databases zdm_scratch_* on; default the embedded server')
    .addOption(new Option('--format <format>', 'text, json or github (annotations)').choices([...VERIFY_FORMATS]))
    .action(async (paths: string[], options) => withContext((ctx) => verifyCommand(ctx, paths, options))());
  // ---- end verify ----

  // ---- restore: put a backup's data back (delivery) ----
  program
    .command('restore')
    .description('put the data of a backup (a folder --backup-dir got before a destructive migration) back into its app\'s database, in one transaction')
    .argument('<backup>', 'the backup folder (holds manifest.json)')
    .option('-y, --yes', 'confirm writing data with ENV=production')
    .action(async (backup: string, options: { yes?: boolean }) => withContext((ctx) => restoreCommand(ctx, backup, options))());
  // ---- end restore ----

  program
    .command('init')
    .description('look at a Nest CLI monorepo and write a starter migrate.config.json')
    .option('--force', 'overwrite an existing migrate.config.json')
    .action((options: { force?: boolean }) => {
      exitCode = initCommand(io.cwd, options, (line) => io.stderr.write(line + '\n'));
    });

  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    exitCode = report(error, io, context, globals());
  } finally {
    await context?.close().catch(() => undefined);
  }
  return exitCode;
}

/** An error as one line naming the problem and the fix, with the exit code of its kind; no stack trace unless --verbose. */
function report(error: unknown, io: Streams, context: CommandContext | undefined, global: GlobalOptions): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : 2;
  const e = error as Error & { exitCode?: number };
  const exitCode = typeof e.exitCode === 'number' ? e.exitCode : 1;
  const message = e instanceof Error ? e.message : String(error);
  if (context) {
    context.out.error(message, { exitCode });
    if (global.json) context.out.document({ type: 'error', error: { message, exitCode } });
  } else {
    // a mistake found before the config was read (the config itself, a flag): the same logger, built from the raw environment
    const redactor = createRedactor(io.env);
    createLogger({ env: io.env, redactor, stream: io.stderr, isTTY: io.isTTY }).error({ exitCode }, message);
    if (global.json) io.stdout.write(redactor(JSON.stringify({ type: 'error', error: { message, exitCode } })) + '\n');
  }
  if (global.verbose && e instanceof Error && e.stack) io.stderr.write((context?.out.redact ?? createRedactor(io.env))(String((e.cause as Error | undefined)?.stack ?? e.stack)) + '\n');
  return exitCode;
}
