import { existsSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { parseDuration } from '@zdm/db';
import { ConfigError, traceRun, type ScratchServer, type TraceApp, type TraceReport, type TracedStatement } from '@zdm/migrator';
import type { ResolvedApp } from '../config/load-config';
import type { CommandContext } from '../context';
import { openScratchServer, ScratchTargets } from '../scratch-run';
import { onStopSignals } from '../signals';
import { findingsOf, planWithFindings, type PlanWithFindings } from './plan.command';

import { TRACE_FORMATS } from './choices';

export { TRACE_FORMATS };
type TraceFormat = (typeof TRACE_FORMATS)[number];

export interface TraceOptions {
  format?: string;
  scratchUrl?: string;
  sample?: string;
  to?: string;
}

/** What to trace: the pending migrations of the apps, or the files given (as `lint` takes them), with their lint findings. */
async function plansToTrace(ctx: CommandContext, files: string[], to?: string): Promise<{ plans: PlanWithFindings[]; apps: ResolvedApp[]; firstTraced: Map<string, string> }> {
  if (!files.length) return { plans: await planWithFindings(ctx, to), apps: ctx.apps(), firstTraced: new Map() };
  const subsets = new Map<string, ResolvedApp>();
  for (const file of files) {
    if (extname(file) === '.sql') throw new ConfigError(`${file}: the trace runs an app's migrations against the app's database; a .sql file has neither (lint it with migrate lint)`);
    const owner = ctx.config.apps.find((a) => a.files.includes(file));
    if (!owner) throw new ConfigError(`${file}: no app of the config lists it: the trace needs the app's database (add the file to an app's migrations)`);
    const subset = subsets.get(owner.name) ?? { ...owner, files: [] };
    subset.files.push(file);
    subsets.set(owner.name, subset);
  }
  const engine = await ctx.engine(ctx.settings(), 'trace', undefined, [...subsets.values()]);
  const plans = await findingsOf(await engine.planFiles(), ctx.config.lint);
  const firstTraced = new Map(plans.filter((p) => p.migrations.length).map((p) => [p.app, p.migrations[0].name]));
  return { plans, apps: ctx.config.apps.filter((a) => subsets.has(a.name)), firstTraced };
}

/**
 * Per app, the migration the scratch database is brought up to: the last one the target has
 * applied (before the first file traced, when files are given).
 */
async function replayTargets(ctx: CommandContext, apps: ResolvedApp[], firstTraced: Map<string, string>): Promise<Map<string, string>> {
  const engine = await ctx.engine(ctx.settings(), 'trace', undefined, apps);
  const result = new Map<string, string>();
  for (const app of await engine.status()) {
    const first = firstTraced.get(app.app);
    const known = app.migrations.filter((m) => m.state !== 'missing');
    const stop = first ? known.findIndex((m) => m.name === first) : -1;
    const before = stop >= 0 ? known.slice(0, stop) : known;
    const applied = before.filter((m) => m.state === 'applied' || m.state === 'changed');
    if (applied.length) result.set(app.app, applied[applied.length - 1].name);
    if (applied.length && before.some((m) => m.state === 'pending' && before.indexOf(m) < before.indexOf(applied[applied.length - 1]))) {
      ctx.out.warn(`${app.app}: the target applied migrations out of order; the scratch database applies every migration up to ${applied[applied.length - 1].name}, the pending ones before it included`);
    }
  }
  return result;
}

/**
 * `plan --trace` / `trace`: what each pending statement locks, rewrites and scans, observed on a
 * scratch database at the target's schema, joined with the target's live size and traffic (read
 * only), with an estimate of how long the lock is held and what would wait meanwhile.
 */
export async function traceCommand(ctx: CommandContext, paths: string[], options: TraceOptions): Promise<number> {
  const format = (options.format ?? (ctx.out.json ? 'json' : 'text')) as TraceFormat;
  if (!TRACE_FORMATS.includes(format)) throw new ConfigError(`--format ${format}: use ${TRACE_FORMATS.join(', ')}`);
  const sampleMs = parseDuration(options.sample ?? '2s', '--sample');
  const files = paths.map((p) => (isAbsolute(p) ? p : resolve(ctx.streams.cwd, p)));
  for (const file of files) if (!existsSync(file)) throw new ConfigError(`trace: ${file} does not exist`);
  const settings = ctx.settings();
  const { plans, apps, firstTraced } = await plansToTrace(ctx, files, options.to);
  const pending = plans.filter((p) => p.migrations.length);
  if (!pending.length) {
    if (format === 'json') ctx.out.document({ statements: [], migrations: [] });
    else ctx.out.result('-- nothing pending to trace');
    return 0;
  }
  const replayTo = await replayTargets(ctx, apps, firstTraced);

  const started = performance.now();
  const server = await openScratchServer(ctx, options.scratchUrl);
  const serverStartMs = Math.round(performance.now() - started);
  let targets: ScratchTargets | undefined;
  const cleanUp = async () => {
    await targets?.drop();
    await server.close();
  };
  // Ctrl-C: the scratch databases and the embedded server this trace started go with it
  const stop = onStopSignals((signal) => void cleanUp().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143)));
  let report: TraceReport;
  try {
    targets = await ScratchTargets.create(ctx, server, apps);
    const scratch = targets;
    const connections = await ctx.connect(apps);
    const traceApps: TraceApp[] = pending.map((p) => ({
      app: p.app,
      target: connections.find((c) => c.app.name === p.app)!.target,
      serverVersion: p.serverVersion,
      scratch: scratch.targetOf(p.app),
      migrations: p.migrations,
      findings: p.findings,
    }));
    report = await traceRun({
      apps: traceApps,
      replay: async () => {
        for (const [app, to] of replayTo) {
          ctx.out.log(`${app}: bringing the scratch database to the target's state (its applied migrations up to ${to})`, { app });
          const summary = await scratch.engine('trace', undefined, [app]).up({ unsafeOk: true, allowChanged: true, revertOnFailure: false, to });
          if (summary.error) throw new ConfigError(`${app}: the scratch database could not be brought to the target's state (applying its applied migrations up to ${to} failed): ${summary.error.message}`);
        }
      },
      calibrationDatabase: () => server.create(),
      sampleMs,
      lockTimeoutMs: settings.engine.lockTimeoutMs,
      statementTimeoutMs: settings.engine.migrationTimeoutMs,
      log: (line) => ctx.out.debug(line),
    });
  } finally {
    stop();
    await cleanUp();
  }
  const notes = [...new Set(report.targets.map((t) => server.differsFrom(t.major)).filter((n): n is string => Boolean(n)))];
  const scratchInfo = { major: server.major, source: server.source, ...(notes.length ? { note: notes.join('; ') } : {}) };
  const timings = { serverStartMs, ...report.timings };
  if (format === 'json') {
    ctx.out.document({
      statements: report.statements,
      migrations: report.migrations,
      scratch: scratchInfo,
      targets: report.targets,
      longTransactions: report.longTransactions,
      lockHolders: report.lockHolders,
      calibration: report.calibration,
      timings,
    });
  } else if (format === 'github') {
    printGithub(ctx, report, server, notes);
  } else {
    printText(ctx, report, server, notes, timings);
  }
  return 0;
}

const number = (n: number) => n.toLocaleString('en-US');
function size(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(1)} GB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MB`;
  if (bytes >= 1024) return `${(bytes / 1024).toFixed(0)} kB`;
  return `${bytes} B`;
}
const oneLine = (sql: string, max = 90) => {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};
const duration = (ms: number) => (ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
const blocksText = (blocks: string[]) => (blocks.length ? `blocks ${blocks.join(' and ')}` : 'blocks neither reads nor writes');
const whereTo = (s: TracedStatement) => `${s.app} ${s.migration} #${s.index + 1}`;

function describe(s: TracedStatement): string {
  const locks = s.locks.length ? s.locks.map((l) => `${l.mode} on ${l.relation} (${blocksText(l.blocks)})`).join(', ') : 'no relation lock';
  const work = [s.rewrites.length ? `rewrites ${s.rewrites.join(', ')}` : '', s.scans.length ? `scans ${s.scans.join(', ')}` : ''].filter(Boolean).join(', ') || 'no rewrite, no scan';
  const tables = s.relations.map((r) => `${r.name} ${number(r.rows)} rows, ${size(r.bytes)}, ${r.writesPerSecond === null ? 'write rate unknown' : `${r.writesPerSecond} writes/s`}`).join('; ');
  const findings = s.findings.map((f) => `${f.rule} ${f.trace}`).join(', ');
  const error = s.evidence.error ? ` | failed on the scratch database: ${s.evidence.error}` : '';
  return `${locks} | ${work} | ${tables || 'no table on the target'} | lock held ~${duration(s.estimatedLockMs)} (estimate), ~${number(s.writesWaiting)} writes wait${findings ? ` | lint: ${findings}` : ''}${error}`;
}

function printText(ctx: CommandContext, report: TraceReport, server: ScratchServer, notes: string[], timings: Record<string, number>): void {
  const { out } = ctx;
  const migrations = report.migrations.length;
  out.result(`-- trace of ${migrations} migration(s), ${report.statements.length} statement(s), on ${report.targets.map((t) => `${t.database} (PostgreSQL ${t.major})`).join(', ')}; observed on a scratch database (PostgreSQL ${server.major}, ${server.source === 'embedded' ? 'embedded' : '--scratch-url'})`);
  for (const note of notes) out.result(`-- note: ${note}`);
  const dangerous = report.statements.filter((s) => s.dangerous).sort((a, b) => b.estimatedLockMs - a.estimatedLockMs);
  out.result(dangerous.length ? `-- dangerous first: ${dangerous.length} statement(s) lock a live table against app traffic` : '-- no statement blocks reads or writes on a table that exists on the target');
  for (const s of dangerous) out.result(`!! ${whereTo(s)}: ${oneLine(s.sql, 70)} | ${describe(s)}`);
  out.result('-- every statement:');
  for (const s of report.statements) out.result(`${s.dangerous ? '!!' : 'ok'} ${whereTo(s)}: ${oneLine(s.sql)} | ${describe(s)}`);
  for (const m of report.migrations.filter((x) => x.transactional && x.locks.length)) {
    out.result(`-- ${m.app} ${m.migration} runs in one transaction: until its COMMIT it holds ${m.locks.map((l) => `${l.mode} on ${l.relation} (${blocksText(l.blocks)})`).join(', ')}, ~${duration(m.estimatedLockMs)} (estimate)`);
  }
  for (const { database, transactions } of report.longTransactions) {
    for (const t of transactions) {
      out.result(`-- waits: on ${database}, pid ${t.pid} (${t.applicationName || 'no application name'}, ${t.state}) has a transaction open for ${duration(t.transactionAgeMs)}, longer than the lock timeout: the DDL would queue behind it${t.query ? `: ${oneLine(t.query, 80)}` : ''}`);
    }
  }
  for (const { database, holders } of report.lockHolders) {
    for (const h of holders) out.result(`-- held now: on ${database}, pid ${h.pid} (${h.applicationName || 'no application name'}, ${h.state}) holds ${h.mode} on ${h.relation}`);
  }
  out.result(
    `-- estimates scale the scratch run by the target's size at rates calibrated in this run; times: scratch server ${timings.serverStartMs} ms, replay ${timings.replayMs} ms, calibration ${timings.calibrationMs} ms, trace ${timings.traceMs} ms, catalog ${timings.catalogMs} ms (write rates sampled ${timings.sampleMs} ms apart)`,
  );
}

function printGithub(ctx: CommandContext, report: TraceReport, server: ScratchServer, notes: string[]): void {
  const { out } = ctx;
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  out.result('### Migration trace');
  out.result('');
  out.result(`Observed on a scratch database (PostgreSQL ${server.major}); rows, size and write rates from the target's live catalog. Lock times are estimates.`);
  for (const note of notes) out.result(`> ${note}`);
  out.result('');
  out.result('| | Statement | Locks | Rewrite / scan | Table on the target | Lock held (estimate) | Writes waiting | Lint |');
  out.result('|---|---|---|---|---|---|---|---|');
  const ordered = [...report.statements].sort((a, b) => Number(b.dangerous) - Number(a.dangerous) || b.estimatedLockMs - a.estimatedLockMs);
  for (const s of ordered) {
    out.result(
      `| ${s.dangerous ? ':warning:' : ':white_check_mark:'} | ${cell(`${whereTo(s)}: \`${oneLine(s.sql, 70)}\``)} | ${cell(s.locks.map((l) => `${l.mode} on ${l.relation} (${blocksText(l.blocks)})`).join('<br>') || 'none')} | ${cell([...s.rewrites.map((r) => `rewrites ${r}`), ...s.scans.map((r) => `scans ${r}`)].join('<br>') || 'no')} | ${cell(s.relations.map((r) => `${r.name}: ${number(r.rows)} rows, ${size(r.bytes)}, ${r.writesPerSecond ?? '?'} writes/s`).join('<br>') || '-')} | ~${duration(s.estimatedLockMs)} | ~${number(s.writesWaiting)} | ${cell(s.findings.map((f) => `${f.rule}: ${f.trace}`).join('<br>') || '-')} |`,
    );
  }
  for (const { database, transactions } of report.longTransactions) {
    for (const t of transactions) out.result(`\n> :hourglass: on ${database}, pid ${t.pid} (${t.applicationName || '?'}) has had a transaction open for ${duration(t.transactionAgeMs)}: the DDL would queue behind it.`);
  }
}
