import { formatDuration } from '@zdm/db';
import { describeBlockers, type EngineEvent } from '@zdm/migrator';
import type { Output } from '../output';

const oneLine = (sql: string, max = 160) => {
  const flat = sql.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

const at = (event: { app: string; migration: string }) => ({ app: event.app, migration: event.migration });

/** Engine events as lines for people, on stderr: each migration with its duration as it finishes. */
export function textReporter(out: Output): (event: EngineEvent) => void {
  return (event) => {
    switch (event.type) {
      case 'lock.waiting':
        out.log(`waiting for the run lock on ${event.database}, held by ${event.holder ? describeBlockers([event.holder], out.redact) : 'another run'} (${formatDuration(event.waitedMs)} so far)`);
        break;
      case 'lock.unneeded':
        out.log(`another run held the run lock on ${event.database} and has applied everything of this release: nothing to do (${formatDuration(event.waitedMs)})`);
        break;
      case 'lock.acquired':
        if (event.waitedMs > 500) out.log(`run lock on ${event.database} taken after ${formatDuration(event.waitedMs)}`);
        else out.debug(`run lock on ${event.database} taken`);
        break;
      case 'migration.started':
        out.debug(`${event.app} ${event.migration} ${event.direction} (${event.transactional ? 'in a transaction' : 'outside a transaction'})`, at(event));
        break;
      case 'statement.finished':
        // fixed-width duration and row columns, so the statements of a run line up one under another
        out.debug(`  ${(event.skipped ? 'skipped' : formatDuration(event.durationMs)).padStart(10)}  ${(event.rowCount !== null && !event.skipped ? `${event.rowCount} rows` : '').padStart(12)}  ${oneLine(out.redact(event.sql))}${event.skipped ? '  (done by an earlier attempt)' : ''}`, {
          ...at(event),
          durationMs: event.durationMs,
          rowCount: event.rowCount,
        });
        break;
      case 'statement.slow':
        out.warn(
          `${event.app}/${event.migration}: a statement has run ${formatDuration(event.elapsedMs)}` +
            `${event.waitEvent ? `, waiting on ${event.waitEvent}` : ''}; blocked by ${describeBlockers(event.blockers, out.redact)}` +
            `${event.progress ? `; index build: ${event.progress.phase}${event.progress.percent !== null ? ` ${event.progress.percent}%` : ''}` : ''}: ${oneLine(out.redact(event.sql), 100)}`,
          { ...at(event), elapsedMs: event.elapsedMs, blockers: event.blockers.map((b) => b.pid) },
        );
        break;
      case 'migration.retrying':
        if (event.skipped) {
          out.warn(
            `${event.app}/${event.migration}: attempt ${event.attempt} of ${event.attempts} not made: ${describeBlockers(event.blockers, out.redact)} still holds its lock; looking again in ${formatDuration(event.delayMs)}`,
            at(event),
          );
          break;
        }
        out.warn(
          `${event.app}/${event.migration}: ${event.code === '40P01' ? 'deadlock' : 'lock not granted'} (SQLSTATE ${event.code}), attempt ${event.attempt} of ${event.attempts}; ` +
            `retrying in ${formatDuration(event.delayMs)}; blocked by ${describeBlockers(event.blockers, out.redact)}`,
          at(event),
        );
        break;
      case 'index.waiting':
        out.warn(`${event.app}/${event.migration}: the build of index ${event.index} that an interrupted run started still runs (pid ${event.pid}); waiting for it instead of starting another`, at(event));
        break;
      case 'index.adopted':
        out.log(`${event.app}/${event.migration}: index ${event.index} was finished by an interrupted run's build and has this statement's definition: the statement is done`, at(event));
        break;
      case 'safety.findings':
        for (const f of event.findings) {
          (f.severity === 'error' && !event.refused ? out.warn.bind(out) : f.severity === 'error' ? out.error.bind(out) : out.warn.bind(out))(
            `${f.app}/${f.migration} ${f.severity} ${f.rule}: ${f.message} Fix: ${f.fix}${f.severity === 'error' && !event.refused ? ' (run anyway: --unsafe-ok)' : ''}`,
            { app: f.app, migration: f.migration, rule: f.rule },
          );
        }
        break;
      case 'runs.abandoned':
        out.warn(`${event.database}: ${event.runs.length} migration run(s) left "running" by a process that died marked abandoned: ${event.runs.map((r) => `${r.app}/${r.migration}`).join(', ')}`);
        break;
      case 'backup.finished':
        out.log(
          `backed up ${event.app}/${event.migration} before it runs: ${event.tables.map((t) => `${t.table} (${t.rows} row(s))`).join(', ') || 'nothing there yet'} to ${event.path} in ${formatDuration(event.durationMs)} (migrate restore ${event.path} puts it back)`,
          { ...at(event), backup: event.path, durationMs: event.durationMs, tables: event.tables },
        );
        break;
      case 'index.repaired':
        out.warn(`${event.app}/${event.migration}: dropped the INVALID index ${event.index} left by an interrupted build; building it again`, at(event));
        break;
      case 'migration.finished':
        out.log(
          `${event.direction === 'up' ? 'applied ' : 'reverted'} ${event.app.padEnd(10)} ${event.migration}  ${formatDuration(event.durationMs)}` +
            `${event.retries ? ` (${event.retries} lock retr${event.retries > 1 ? 'ies' : 'y'})` : ''}`,
          { ...at(event), direction: event.direction, durationMs: event.durationMs, retries: event.retries },
        );
        break;
      case 'migration.failed':
        out.error(
          `FAILED   ${event.app.padEnd(10)} ${event.migration}  ${event.direction} after ${formatDuration(event.durationMs)}` +
            `${event.retries ? ` (${event.retries} lock retr${event.retries > 1 ? 'ies' : 'y'}, ${formatDuration(event.lockWaitMs)} waiting for locks)` : ''}`,
          { ...at(event), durationMs: event.durationMs, retries: event.retries, lockWaitMs: event.lockWaitMs },
        );
        break;
      case 'revert.started':
        out.log(`reverting what this run applied: ${event.migrations.map((m) => `${m.app}/${m.migration}`).join(', ')}`);
        break;
      case 'revert.finished':
        (event.ok ? out.log.bind(out) : out.error.bind(out))(event.ok ? `reverted ${event.reverted.length} migration(s) of this run` : `the revert stopped: ${event.error}; reverted: ${event.reverted.map((m) => `${m.app}/${m.migration}`).join(', ') || 'none'}`);
        break;
      default:
        break;
    }
  };
}

/** Every engine event as one JSON line on stdout. */
export function jsonReporter(out: Output): (event: EngineEvent) => void {
  return (event) => out.document({ ...event, at: new Date().toISOString() });
}
