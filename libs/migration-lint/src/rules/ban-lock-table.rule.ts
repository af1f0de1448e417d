import { nodesOf } from '../nodes';
import { relationName, type Rule } from '../rule';

// LockStmt.mode: PostgreSQL's lock mode numbers
const MODES = ['', 'ACCESS SHARE', 'ROW SHARE', 'ROW EXCLUSIVE', 'SHARE UPDATE EXCLUSIVE', 'SHARE', 'SHARE ROW EXCLUSIVE', 'EXCLUSIVE', 'ACCESS EXCLUSIVE'];
/** SHARE and stronger conflict with ROW EXCLUSIVE, the lock every INSERT, UPDATE and DELETE takes. */
const BLOCKS_WRITES = 5;

export const banLockTable: Rule = {
  id: 'ban-lock-table',
  severity: 'error',
  summary: 'LOCK TABLE in SHARE mode or stronger blocks writes (ACCESS EXCLUSIVE, the default, blocks reads too) until commit',
  check(s, ctx) {
    if (s.kind !== 'LockStmt' || (s.node.mode ?? 8) < BLOCKS_WRITES) return [];
    const existing = nodesOf(s.node.relations, 'RangeVar').filter((r) => !ctx.isNewTable(r));
    if (!existing.length) return [];
    const mode = MODES[s.node.mode ?? 8];
    return [
      {
        message: `LOCK TABLE ${existing.map(relationName).join(', ')} IN ${mode} MODE blocks ${mode === 'ACCESS EXCLUSIVE' ? 'reads and writes' : 'writes'} until the transaction ends, and queues everyone behind it while it waits.`,
        fix: 'Let each statement take the lock it needs, for as short as it can; if a lock is truly needed, take the weakest mode that works (ROW EXCLUSIVE and weaker let writes go on) and keep the transaction short.',
      },
    ];
  },
};
