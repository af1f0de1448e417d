import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Command, CommanderError, Option } from 'commander';
import { ConfigError } from '@zdm/migrator/config-error';
import { createLogger } from '@zdm/observability/logging';
import { createRedactor } from '@zdm/observability/redaction';
import type { ChecksumOptions } from './commands/checksum.command';
import { LINT_FORMATS, TEMPLATES, TRACE_FORMATS, VERIFY_FORMATS } from './commands/choices';
import type { LintOptions } from './commands/lint.command';
import type { FleetFlags } from './fleet/fleet-command';
import type { StatusOptions } from './commands/status.command';
import type { TraceOptions } from './commands/trace.command';
import type { TemplateOptions } from './commands/generate-template';
import { redactingStream } from './redacting-stream';
import { CommandContext, type GlobalOptions, type Streams } from './context';
import { EXIT_CODES } from './exit-codes';

export { EXIT_CODES } from './exit-codes';


// each command's module (and what it needs: the engine, the linter, an ORM) loads when it runs, not to read the command line
/* eslint-disable @typescript-eslint/no-require-imports */
const commands = {
  backfill: () => require('./commands/backfill.command') as typeof import('./commands/backfill.command'),
  check: () => require('./commands/check.command') as typeof import('./commands/check.command'),
  checksum: () => require('./commands/checksum.command') as typeof import('./commands/checksum.command'),
  down: () => require('./commands/down.command') as typeof import('./commands/down.command'),
  generate: () => require('./commands/generate.command') as typeof import('./commands/generate.command'),
  template: () => require('./commands/generate-template') as typeof import('./commands/generate-template'),
  init: () => require('./commands/init.command') as typeof import('./commands/init.command'),
  lint: () => require('./commands/lint.command') as typeof import('./commands/lint.command'),
  plan: () => require('./commands/plan.command') as typeof import('./commands/plan.command'),
  revert: () => require('./commands/revert.command') as typeof import('./commands/revert.command'),
  status: () => require('./commands/status.command') as typeof import('./commands/status.command'),
  trace: () => require('./commands/trace.command') as typeof import('./commands/trace.command'),
  up: () => require('./commands/up.command') as typeof import('./commands/up.command'),
  verify: () => require('./commands/verify.command') as typeof import('./commands/verify.command'),
  restore: () => require('./commands/restore.command') as typeof import('./commands/restore.command'),
};
/* eslint-enable @typescript-eslint/no-require-imports */

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * The command's name as the user invoked it, for the usage lines: the bin (`zdm-migrate`), an
 * app's own `migrate.ts`, or this package's `dist/main.js`, which `pnpm migrate` runs.
 */
export function invokedName(script: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const name = basename(script ?? '').replace(/\.(c|m)?(j|t)s$/, '');
  if (name && name !== 'main' && name !== 'index') return name;
  return env.npm_lifecycle_event === 'migrate' ? 'pnpm migrate' : 'migrate';
}

const version = (): string => (JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8')) as { version: string }).version;

/** Runs the `migrate` command line; resolves to the exit code. */
export async function runCli(argv: string[], streams: Partial<Streams> & { name?: string } = {}): Promise<number> {
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
  const program = new Command(streams.name ?? invokedName(process.argv[1], env));
  const globals = (): GlobalOptions => {
    const options = program.opts<GlobalOptions>();
    return { ...options, app: options.app ?? [] };
  };
  const withContext = (work: (ctx: CommandContext) => Promise<number>) => async () => {
    context = CommandContext.create(io, globals());
    stdout.setRedactor(context.out.redact);
    stderr.setRedactor(context.out.redact);
    exitCode = await work(context);
  };

  program
    .description('Zero-downtime PostgreSQL migrations for TypeORM and MikroORM apps: one runner, one lock, one run log.')
    .option('-c, --config <path>', 'the config file (default: migrate.config.ts/.js/.json here or above)')
    .option('-a, --app <name>', 'an app from the config (repeatable; default: every app, in configured order)', collect)
    .option('--json', 'machine output: one JSON document (status, plan, lint) or one JSON line per event (up, down, revert)')
    .option('-v, --verbose', 'every statement with its duration, loaded env files, stack traces')
    .option('--embedded', 'use the embedded PostgreSQL when no DATABASE_URL is set, even with ENV=production or staging or NODE_ENV=production')
    .version(version(), '-V, --version', 'print the version and exit')
    .addHelpText('after', `\n${EXIT_CODES}`)
    .showHelpAfterError('(run with --help for usage)')
    // every command's help lists the options that apply to every command too
    .configureHelp({ showGlobalOptions: true })
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride();

  const runOptions = (command: Command) =>
    command
      .option('--lock-wait <duration>', 'how long to wait for another run to finish (e.g. 30s, 10m)', undefined)
      .option('--report <file>', 'write the run as JSON to this file')
      .option('--metrics-file <file>', 'write Prometheus metrics to this file (node exporter textfile collector)');

  // a fleet (apps with "targets"): which targets, and how many at once
  const fleetOptions = (command: Command, run = true) => {
    command
      .option('--target <name>', 'only this target of the fleet (repeatable)', (value: string, previous?: string[]) => [...(previous ?? []), value])
      .option('--targets-from <file>', 'only the targets named in this file, one a line')
      .option('--shard <I/N>', "only the targets in shard I of N (a stable hash of each target's name; I from 0)")
      .option('--parallel <n>', 'at most this many targets at once (default 4)');
    if (run) {
      command
        .option('--canary <k>', 'run k targets first; stop if any of them fails')
        .option('--stages <waves>', 'run in ordered waves, e.g. 1,10%,100%: each starts when the previous one succeeded')
        .option('--continue-on-error', 'go on with the other targets after one fails (default: start no new ones)')
        .option('--metrics-target-label', "give each target's series a target label, pushed and written per target (default: one set for the fleet)");
    }
    return command;
  };

  program
    .command('status')
    .description('every migration of every app: applied, pending, changed or missing, with applied time and duration')
    .option('--exit-code', "exit 6 while this release's migrations are pending or changed (readiness checks, CI gates)")
    .option('--strict', 'with --exit-code, count applied migrations this release has no file for (missing) too');
  fleetOptions(program.commands.at(-1)!, false).action(async (options: StatusOptions) => withContext((ctx) => commands.status().statusCommand(ctx, options))());

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
  );
  fleetOptions(program.commands.at(-1)!).action(async (options) => withContext((ctx) => commands.up().upCommand(ctx, options))());

  runOptions(
    program
      .command('down')
      .description("revert one app's newest migrations (default one step)")
      .option('--step <n>', 'how many migrations to revert')
      .option('--to <name>', 'revert everything after this migration; it stays applied')
      .option('-y, --yes', 'confirm reverting with ENV=production'),
  );
  fleetOptions(program.commands.at(-1)!).action(async (options) => withContext((ctx) => commands.down().downCommand(ctx, options))());

  runOptions(
    program
      .command('revert')
      .description('revert every migration the most recent up run applied, across apps, newest first')
      .option('-y, --yes', 'confirm reverting with ENV=production'),
  );
  fleetOptions(program.commands.at(-1)!).action(async (options) => withContext((ctx) => commands.revert().revertCommand(ctx, options))());

  program
    .command('checksum')
    .description("accept an applied migration's edited file (a comment, whitespace): record its checksum so status shows it applied, running nothing")
    .requiredOption('--accept <name>', 'the changed migration to accept (repeatable); refused unless status shows it changed', collect)
    .option('--lock-wait <duration>', 'how long to wait for another run to finish (e.g. 30s, 10m)')
    .addHelpText(
      'after',
      `
An applied migration whose file was edited shows "changed" in status, and up refuses to run
(exit 2) until the file is restored or the edit accepted. Accept only an edit that changes nothing
that runs; anything else belongs in a new migration. The run log keeps who accepted it (git
user.email, else the OS user) and when.

Example: migrate checksum --accept 202401150900__create_chargebacks --app payments`,
    )
    .action(async (options: ChecksumOptions) => withContext((ctx) => commands.checksum().checksumCommand(ctx, options))());

  // ---- trace and plan: `migrate trace` and `plan --trace` are one command -----------------------
  const traceOptions = (command: Command) =>
    command
      .argument('[paths...]', 'migration files of the configured apps to trace, as lint takes them (default: the pending migrations)')
      .option('--scratch-url <url>', 'a server to create the scratch databases on (default: the embedded server)')
      .option('--sample <duration>', 'the interval between the two write-rate samples of the target (default 2s)')
      .addOption(new Option('--format <format>', 'text, json or github (a pull request comment or step summary)').choices([...TRACE_FORMATS]));
  const traceAction = (paths: string[], options: TraceOptions) => withContext((ctx) => commands.trace().traceCommand(ctx, paths, options))();
  traceOptions(
    program
      .command('trace')
      .description("what each pending statement locks, rewrites and scans, observed on a scratch database at the target's schema, with the target's table sizes and write rates (read-only there)")
      .option('--to <name>', 'trace up to this migration'),
  ).action(traceAction);

  // `plan` takes the trace's paths and options, used only with --trace
  fleetOptions(
    traceOptions(
      program
        .command('plan')
        .description('the dry run: the exact SQL each pending migration would execute, executing none of it')
        .option('--to <name>', 'plan up to this migration')
        .option('--trace', 'observe each statement on a scratch database: its locks, rewrites and scans, with the live tables\' sizes (the same as `migrate trace`)'),
    ),
    false,
  ).action(async (paths: string[], options: TraceOptions & FleetFlags & { trace?: boolean }) => {
    if (options.trace) return traceAction(paths, options);
    if (paths.length || options.scratchUrl || options.sample || options.format) {
      throw new ConfigError('plan: paths, --scratch-url, --sample and --format go with --trace (migrate plan --trace, or migrate trace)');
    }
    return withContext((ctx) => commands.plan().planCommand(ctx, options))();
  });
  // ---- end of trace and plan ------------------------------------------------------------------

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
      withContext((ctx) => (options.template ? commands.template().templateCommand(ctx, description, { ...options, template: options.template }) : commands.generate().generateCommand(ctx, description)))(),
    );

  program
    .command('check')
    .description('exit 4 when the entities and the database differ (CI: "generate finds no changes")')
    .action(async () => withContext((ctx) => commands.check().checkCommand(ctx))());

  program
    .command('lint')
    .description('find locking hazards in the SQL migrations emit: the files given, those changed since a git ref, else the pending ones (exit 5 on an error finding)')
    .argument('[paths...]', 'migration files (TypeScript or compiled, either ORM: linted by the SQL they emit) or .sql files')
    .option('--since <git-ref>', 'lint the migration files the branch added or changed since it left this ref (a three-dot diff)')
    .addOption(new Option('--format <format>', 'text, json, github (annotations) or sarif (2.1.0)').choices([...LINT_FORMATS]));
  fleetOptions(program.commands.at(-1)!, false).action(async (paths: string[], options: LintOptions) => withContext((ctx) => commands.lint().lintCommand(ctx, paths, options))());

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
    .action(async (job: string | undefined, options) => withContext((ctx) => commands.backfill().backfillCommand(ctx, job, options))());

  // ---- verify: the reversibility check (delivery) ----
  program
    .command('verify')
    .description("check each migration's down() on scratch databases of our own: up, down (the schema must be the one before up), up again; default the migrations pending on the target (exit 1 on a failure)")
    .argument('[paths...]', 'migration files of a configured app to check (in the app\'s order)')
    .option('--since <git-ref>', 'check the migration files the branch added or changed since it left this ref (a three-dot diff)')
    .option('--all', 'check every migration of the selected apps, whatever the target has applied')
    .option('--scratch-url <url>', 'a server to create (and drop) scratch databases zdm_scratch_* on; default the embedded server')
    .addOption(new Option('--format <format>', 'text, json or github (annotations)').choices([...VERIFY_FORMATS]));
  fleetOptions(program.commands.at(-1)!, false)
    .action(async (paths: string[], options) => withContext((ctx) => commands.verify().verifyCommand(ctx, paths, options))());
  // ---- end verify ----

  // ---- restore: put a backup's data back (delivery) ----
  program
    .command('restore')
    .description('put the data of a backup (a folder --backup-dir got before a destructive migration) back into its app\'s database, in one transaction')
    .argument('<backup>', 'the backup folder (holds manifest.json)')
    .option('-y, --yes', 'confirm writing data with ENV=production')
    .action(async (backup: string, options: { yes?: boolean }) => withContext((ctx) => commands.restore().restoreCommand(ctx, backup, options))());
  // ---- end restore ----

  program
    .command('init')
    .description('look at a Nest CLI monorepo and write a starter migrate.config.json')
    .option('--force', 'overwrite an existing migrate.config.json')
    .action((options: { force?: boolean }) => {
      exitCode = commands.init().initCommand(io.cwd, options, (line) => io.stderr.write(line + '\n'));
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
