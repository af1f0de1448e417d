import type { AlterTableCmd, DefElem, Node, RangeVar } from '@pgsql/types';
import { nodeOf, nodesOf, type StatementNode } from './nodes';
import { relationName } from './rule';
import { isConcurrent, isVacuumFull } from './statement-kinds';
import { collect } from './visit';

/** PostgreSQL's table lock modes, weakest first, by the names `pg_locks.mode` shows. */
export const LOCK_MODES = [
  'AccessShareLock',
  'RowShareLock',
  'RowExclusiveLock',
  'ShareUpdateExclusiveLock',
  'ShareLock',
  'ShareRowExclusiveLock',
  'ExclusiveLock',
  'AccessExclusiveLock',
] as const;

export type LockMode = (typeof LOCK_MODES)[number];

/** A lock a statement takes on a relation, held until its transaction ends. */
export interface RelationLock {
  /** `schema.name` or `name`, as the statement writes it. */
  relation: string;
  mode: LockMode;
  /**
   * The lock is on the table of the index `relation` names: the statement names only the index
   * (`DROP INDEX`, `REINDEX INDEX`), so the table is not known from the statement.
   */
  tableOfIndex?: true;
}

/**
 * PostgreSQL's conflict matrix ("Conflicting Lock Modes", explicit locking): by each mode, the
 * modes it cannot be held together with, by another transaction.
 */
const CONFLICTS: Record<LockMode, readonly LockMode[]> = {
  AccessShareLock: ['AccessExclusiveLock'],
  RowShareLock: ['ExclusiveLock', 'AccessExclusiveLock'],
  RowExclusiveLock: ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareUpdateExclusiveLock: ['ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ShareRowExclusiveLock: ['RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  ExclusiveLock: ['RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
  AccessExclusiveLock: LOCK_MODES,
};

/** The modes that conflict with `mode`: a transaction asking for one of them waits while `mode` is held. */
export function conflictsWith(mode: LockMode): LockMode[] {
  return [...CONFLICTS[mode]];
}

/** Whether a lock in mode `a` makes one asked for in mode `b`, by another transaction, wait (and the reverse: the matrix is symmetric). */
export function conflicts(a: LockMode, b: LockMode): boolean {
  return CONFLICTS[a].includes(b);
}

const strength = (mode: LockMode) => LOCK_MODES.indexOf(mode);

/** The stronger of two modes. */
function stronger(a: LockMode, b: LockMode): LockMode {
  return strength(a) >= strength(b) ? a : b;
}

/** LockStmt.mode: PostgreSQL's lock mode numbers, 1 (ACCESS SHARE) to 8 (ACCESS EXCLUSIVE). */
function lockStmtMode(mode: number | undefined): LockMode {
  return LOCK_MODES[(mode ?? 8) - 1] ?? 'AccessExclusiveLock';
}

/**
 * Storage parameters that `SET (...)` / `RESET (...)` change under SHARE UPDATE EXCLUSIVE
 * (reloptions.c): fillfactor, the autovacuum and toast ones, parallel_workers, ... Any other takes
 * ACCESS EXCLUSIVE.
 */
const WEAK_RELOPTIONS = new Set([
  'fillfactor',
  'toast_tuple_target',
  'parallel_workers',
  'autovacuum_enabled',
  'vacuum_truncate',
  'vacuum_index_cleanup',
  'log_autovacuum_min_duration',
  'autosummarize',
  'pages_per_range',
  'gin_pending_list_limit',
  'deduplicate_items',
  'vacuum_max_eager_freeze_failure_rate',
]);

function relOptionsMode(options: DefElem[]): LockMode {
  const weak = options.every((o) => (o.defnamespace === undefined || o.defnamespace === 'toast') && (WEAK_RELOPTIONS.has(String(o.defname)) || String(o.defname).startsWith('autovacuum_')));
  return weak ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
}

/** The lock one ALTER TABLE subcommand needs on the table (AlterTableGetLockLevel). */
function alterCommandMode(cmd: AlterTableCmd, pgVersion: number): LockMode {
  switch (cmd.subtype) {
    case 'AT_SetStatistics':
    case 'AT_ClusterOn':
    case 'AT_DropCluster':
    case 'AT_SetOptions':
    case 'AT_ResetOptions':
    case 'AT_ValidateConstraint':
    case 'AT_DetachPartitionFinalize':
      return 'ShareUpdateExclusiveLock';
    case 'AT_SetRelOptions':
    case 'AT_ResetRelOptions':
      return relOptionsMode(nodesOf(nodeOf(cmd.def, 'List')?.items, 'DefElem'));
    case 'AT_AttachPartition':
      // lowered from ACCESS EXCLUSIVE in PostgreSQL 12
      return pgVersion >= 12 ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
    case 'AT_DetachPartition':
      return nodeOf(cmd.def, 'PartitionCmd')?.concurrent ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
    case 'AT_EnableTrig':
    case 'AT_EnableAlwaysTrig':
    case 'AT_EnableReplicaTrig':
    case 'AT_EnableTrigAll':
    case 'AT_EnableTrigUser':
    case 'AT_DisableTrig':
    case 'AT_DisableTrigAll':
    case 'AT_DisableTrigUser':
      return 'ShareRowExclusiveLock';
    case 'AT_AddConstraint':
      // a foreign key adds triggers to both tables: as strong as CREATE TRIGGER
      return nodeOf(cmd.def, 'Constraint')?.contype === 'CONSTR_FOREIGN' ? 'ShareRowExclusiveLock' : 'AccessExclusiveLock';
    default:
      return 'AccessExclusiveLock';
  }
}

/** The tables that foreign keys defined under `tree` reference: each takes SHARE ROW EXCLUSIVE. */
function referencedTables(tree: Node | readonly Node[] | undefined): RangeVar[] {
  return collect(tree, 'Constraint').flatMap((c) => (c.contype === 'CONSTR_FOREIGN' && c.pktable ? [c.pktable] : []));
}

/** Relations a query reads (FROM, JOIN, subqueries), without the names of its own CTEs. */
function readRelations(tree: object | undefined): RangeVar[] {
  const ctes = new Set(collect(tree, 'CommonTableExpr').map((c) => c.ctename));
  return collect(tree, 'RangeVar').filter((r) => r.schemaname || !ctes.has(r.relname));
}

/** An index's table, named by `DROP INDEX` / `REINDEX INDEX` only through the index. */
const indexAndTable = (index: string, onIndex: LockMode, onTable: LockMode): RelationLock[] => [
  { relation: index, mode: onIndex },
  { relation: index, mode: onTable, tableOfIndex: true },
];

/**
 * The relation locks a statement takes, by PostgreSQL's documentation of each command (and for
 * ALTER TABLE, of each subcommand: the statement takes the strongest its subcommands need). One
 * entry for each relation, in its strongest mode. Only what the statement itself names: the
 * indexes of a table, the partitions of a partitioned one, the table a foreign key being validated
 * references, or a default partition are not in the statement and not listed.
 * `pgVersion` is the server's major: some locks were lowered over the years.
 */
export function lockModes(statement: StatementNode, pgVersion = 18): RelationLock[] {
  const locks: RelationLock[] = [];
  const add = (relation: RangeVar | string | undefined, mode: LockMode, tableOfIndex?: true) => {
    if (!relation) return;
    const name = typeof relation === 'string' ? relation : relationName(relation);
    const same = locks.find((l) => l.relation === name && l.tableOfIndex === tableOfIndex);
    if (same) same.mode = stronger(same.mode, mode);
    else locks.push(tableOfIndex ? { relation: name, mode, tableOfIndex } : { relation: name, mode });
  };
  const addReads = (tree: object | undefined) => {
    for (const r of readRelations(tree)) add(r, 'AccessShareLock');
  };
  const s = statement;
  switch (s.kind) {
    case 'AlterTableStmt': {
      const cmds = nodesOf(s.node.cmds, 'AlterTableCmd');
      if (!cmds.length) break;
      add(s.node.relation, cmds.map((c) => alterCommandMode(c, pgVersion)).reduce(stronger, 'ShareUpdateExclusiveLock'));
      for (const cmd of cmds) {
        for (const table of referencedTables(cmd.def)) add(table, 'ShareRowExclusiveLock');
        const partition = nodeOf(cmd.def, 'PartitionCmd')?.name;
        // the partition attached or detached is locked ACCESS EXCLUSIVE (CONCURRENTLY and FINALIZE: in the second transaction)
        if (cmd.subtype === 'AT_AttachPartition' || cmd.subtype === 'AT_DetachPartition' || cmd.subtype === 'AT_DetachPartitionFinalize') add(partition, 'AccessExclusiveLock');
      }
      break;
    }
    case 'IndexStmt':
      add(s.node.relation, isConcurrent(s.kind, s.node) ? 'ShareUpdateExclusiveLock' : 'ShareLock');
      break;
    case 'ReindexStmt': {
      const concurrent = isConcurrent(s.kind, s.node);
      if (s.node.kind === 'REINDEX_OBJECT_INDEX' && s.node.relation) {
        const index = relationName(s.node.relation);
        const both = concurrent ? indexAndTable(index, 'ShareUpdateExclusiveLock', 'ShareUpdateExclusiveLock') : indexAndTable(index, 'AccessExclusiveLock', 'ShareLock');
        for (const lock of both) add(lock.relation, lock.mode, lock.tableOfIndex);
      } else if (s.node.kind === 'REINDEX_OBJECT_TABLE') {
        add(s.node.relation, concurrent ? 'ShareUpdateExclusiveLock' : 'ShareLock');
      }
      break;
    }
    case 'DropStmt': {
      const names = (s.node.objects ?? []).map((o) => nodesOf(nodeOf(o, 'List')?.items, 'String').map((n) => String(n.sval)));
      switch (s.node.removeType) {
        case 'OBJECT_INDEX':
          for (const name of names) {
            const mode = isConcurrent(s.kind, s.node) ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock';
            for (const lock of indexAndTable(name.join('.'), mode, mode)) add(lock.relation, lock.mode, lock.tableOfIndex);
          }
          break;
        case 'OBJECT_TABLE':
        case 'OBJECT_VIEW':
        case 'OBJECT_MATVIEW':
        case 'OBJECT_SEQUENCE':
        case 'OBJECT_FOREIGN_TABLE':
          for (const name of names) add(name.join('.'), 'AccessExclusiveLock');
          break;
        case 'OBJECT_TRIGGER':
        case 'OBJECT_RULE':
        case 'OBJECT_POLICY':
          // [schema.]table.name: the table's
          for (const name of names) add(name.slice(0, -1).join('.'), 'AccessExclusiveLock');
          break;
      }
      break;
    }
    case 'TruncateStmt':
      for (const r of nodesOf(s.node.relations, 'RangeVar')) add(r, 'AccessExclusiveLock');
      break;
    case 'LockStmt':
      for (const r of nodesOf(s.node.relations, 'RangeVar')) add(r, lockStmtMode(s.node.mode));
      break;
    case 'VacuumStmt': {
      const full = isVacuumFull(s.kind, s.node);
      for (const r of nodesOf(s.node.rels, 'VacuumRelation')) add(r.relation, full ? 'AccessExclusiveLock' : 'ShareUpdateExclusiveLock');
      break;
    }
    case 'ClusterStmt':
      add(s.node.relation, 'AccessExclusiveLock');
      break;
    case 'RefreshMatViewStmt':
      add(s.node.relation, s.node.concurrent ? 'ExclusiveLock' : 'AccessExclusiveLock');
      break;
    case 'RenameStmt':
      // ALTER INDEX ... RENAME: SHARE UPDATE EXCLUSIVE from PostgreSQL 12 on
      add(s.node.relation, s.node.renameType === 'OBJECT_INDEX' && pgVersion >= 12 ? 'ShareUpdateExclusiveLock' : 'AccessExclusiveLock');
      break;
    case 'CreateTrigStmt':
      add(s.node.relation, 'ShareRowExclusiveLock');
      break;
    case 'CreatePolicyStmt':
    case 'AlterPolicyStmt':
      add(s.node.table, 'AccessExclusiveLock');
      break;
    case 'RuleStmt':
      add(s.node.relation, 'AccessExclusiveLock');
      break;
    case 'CreateStatsStmt':
      for (const r of nodesOf(s.node.relations, 'RangeVar')) add(r, 'ShareUpdateExclusiveLock');
      break;
    case 'CreateStmt':
      // PARTITION OF locks the parent ACCESS EXCLUSIVE; INHERITS, SHARE UPDATE EXCLUSIVE
      for (const parent of nodesOf(s.node.inhRelations, 'RangeVar')) add(parent, s.node.partbound ? 'AccessExclusiveLock' : 'ShareUpdateExclusiveLock');
      for (const table of referencedTables(s.node.tableElts)) add(table, 'ShareRowExclusiveLock');
      for (const table of referencedTables(s.node.constraints)) add(table, 'ShareRowExclusiveLock');
      break;
    case 'InsertStmt':
    case 'UpdateStmt':
    case 'DeleteStmt':
    case 'MergeStmt':
      add(s.node.relation, 'RowExclusiveLock');
      addReads(s.node);
      break;
    case 'CopyStmt':
      add(s.node.relation, s.node.is_from ? 'RowExclusiveLock' : 'AccessShareLock');
      addReads(s.node.query);
      break;
    case 'SelectStmt': {
      const locking = nodesOf(s.node.lockingClause, 'LockingClause');
      if (!locking.length) {
        addReads(s.node);
        break;
      }
      // FOR UPDATE / FOR SHARE: ROW SHARE on the tables it locks rows of (OF names them, by alias or name)
      const all = locking.some((l) => !l.lockedRels?.length);
      const named = new Set(locking.flatMap((l) => nodesOf(l.lockedRels, 'RangeVar').map((r) => r.relname)));
      for (const r of readRelations({ ...s.node, lockingClause: undefined })) add(r, all || named.has(r.alias?.aliasname ?? r.relname) ? 'RowShareLock' : 'AccessShareLock');
      break;
    }
  }
  return locks;
}
