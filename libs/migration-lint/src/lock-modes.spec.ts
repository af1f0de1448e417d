import { conflicts, conflictsWith, LOCK_MODES, lockModes, type LockMode } from './lock-modes';
import { parseStatements } from './parse';

const locks = async (sql: string, pgVersion?: number) => lockModes((await parseStatements(sql))[0], pgVersion);
const on = async (sql: string, pgVersion?: number) => Object.fromEntries((await locks(sql, pgVersion)).map((l) => [l.tableOfIndex ? `table of ${l.relation}` : l.relation, l.mode]));

describe('lockModes', () => {
  it.each<[string, Record<string, LockMode>]>([
    // ALTER TABLE, by subcommand
    ['ALTER TABLE t ADD COLUMN c int', { t: 'AccessExclusiveLock' }],
    ['ALTER TABLE t ALTER COLUMN c SET STATISTICS 500', { t: 'ShareUpdateExclusiveLock' }],
    ['ALTER TABLE t ALTER COLUMN c SET (n_distinct = 100)', { t: 'ShareUpdateExclusiveLock' }],
    ['ALTER TABLE t VALIDATE CONSTRAINT c', { t: 'ShareUpdateExclusiveLock' }],
    ['ALTER TABLE t CLUSTER ON t_pkey', { t: 'ShareUpdateExclusiveLock' }],
    ['ALTER TABLE t SET WITHOUT CLUSTER', { t: 'ShareUpdateExclusiveLock' }],
    ['ALTER TABLE t SET (fillfactor = 70, autovacuum_vacuum_scale_factor = 0.01, toast.autovacuum_enabled = false)', { t: 'ShareUpdateExclusiveLock' }],
    ['ALTER TABLE t SET (user_catalog_table = true)', { t: 'AccessExclusiveLock' }],
    ['ALTER TABLE t DISABLE TRIGGER ALL', { t: 'ShareRowExclusiveLock' }],
    ['ALTER TABLE t ENABLE TRIGGER audit', { t: 'ShareRowExclusiveLock' }],
    ['ALTER TABLE billing.charges ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES public.users (id) NOT VALID', { 'billing.charges': 'ShareRowExclusiveLock', 'public.users': 'ShareRowExclusiveLock' }],
    ['ALTER TABLE t ADD CONSTRAINT c CHECK (a > 0) NOT VALID', { t: 'AccessExclusiveLock' }],
    ['ALTER TABLE t ADD COLUMN user_id int REFERENCES users (id)', { t: 'AccessExclusiveLock', users: 'ShareRowExclusiveLock' }],
    ['ALTER TABLE t ALTER COLUMN c SET NOT NULL', { t: 'AccessExclusiveLock' }],
    ['ALTER TABLE t ALTER COLUMN c SET DEFAULT 0', { t: 'AccessExclusiveLock' }],
    // the strongest subcommand wins
    ['ALTER TABLE t ALTER COLUMN c SET STATISTICS 100, VALIDATE CONSTRAINT k, DISABLE TRIGGER x', { t: 'ShareRowExclusiveLock' }],
    ['ALTER TABLE t VALIDATE CONSTRAINT k, DROP COLUMN c', { t: 'AccessExclusiveLock' }],
    ['ALTER TABLE p ATTACH PARTITION p1 FOR VALUES IN (1)', { p: 'ShareUpdateExclusiveLock', p1: 'AccessExclusiveLock' }],
    ['ALTER TABLE p DETACH PARTITION p1', { p: 'AccessExclusiveLock', p1: 'AccessExclusiveLock' }],
    ['ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY', { p: 'ShareUpdateExclusiveLock', p1: 'AccessExclusiveLock' }],
    // indexes
    ['CREATE INDEX i ON t (a)', { t: 'ShareLock' }],
    ['CREATE UNIQUE INDEX CONCURRENTLY i ON s.t (a)', { 's.t': 'ShareUpdateExclusiveLock' }],
    ['DROP INDEX s.i', { 's.i': 'AccessExclusiveLock', 'table of s.i': 'AccessExclusiveLock' }],
    ['DROP INDEX CONCURRENTLY i', { i: 'ShareUpdateExclusiveLock', 'table of i': 'ShareUpdateExclusiveLock' }],
    ['REINDEX INDEX i', { i: 'AccessExclusiveLock', 'table of i': 'ShareLock' }],
    ['REINDEX INDEX CONCURRENTLY i', { i: 'ShareUpdateExclusiveLock', 'table of i': 'ShareUpdateExclusiveLock' }],
    ['REINDEX TABLE t', { t: 'ShareLock' }],
    ['REINDEX TABLE CONCURRENTLY t', { t: 'ShareUpdateExclusiveLock' }],
    ['ALTER INDEX i RENAME TO j', { i: 'ShareUpdateExclusiveLock' }],
    // other DDL
    ['ALTER TABLE t RENAME COLUMN a TO b', { t: 'AccessExclusiveLock' }],
    ['DROP TABLE a, s.b', { a: 'AccessExclusiveLock', 's.b': 'AccessExclusiveLock' }],
    ['DROP TRIGGER audit ON s.t', { 's.t': 'AccessExclusiveLock' }],
    ['TRUNCATE a, b', { a: 'AccessExclusiveLock', b: 'AccessExclusiveLock' }],
    ['LOCK TABLE t', { t: 'AccessExclusiveLock' }],
    ['LOCK TABLE t IN SHARE ROW EXCLUSIVE MODE', { t: 'ShareRowExclusiveLock' }],
    ['LOCK TABLE t IN ACCESS SHARE MODE', { t: 'AccessShareLock' }],
    ['VACUUM t', { t: 'ShareUpdateExclusiveLock' }],
    ['ANALYZE t', { t: 'ShareUpdateExclusiveLock' }],
    ['VACUUM (FULL) t', { t: 'AccessExclusiveLock' }],
    ['CLUSTER t USING i', { t: 'AccessExclusiveLock' }],
    ['REFRESH MATERIALIZED VIEW m', { m: 'AccessExclusiveLock' }],
    ['REFRESH MATERIALIZED VIEW CONCURRENTLY m', { m: 'ExclusiveLock' }],
    ['CREATE TRIGGER audit AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()', { t: 'ShareRowExclusiveLock' }],
    ['CREATE STATISTICS st ON a, b FROM t', { t: 'ShareUpdateExclusiveLock' }],
    ['CREATE TABLE c (id int, user_id int REFERENCES users (id), FOREIGN KEY (id) REFERENCES s.parents (id))', { users: 'ShareRowExclusiveLock', 's.parents': 'ShareRowExclusiveLock' }],
    ['CREATE TABLE p2 PARTITION OF p FOR VALUES IN (2)', { p: 'AccessExclusiveLock' }],
    // data
    ['UPDATE t SET a = 1 FROM u WHERE t.id = u.id', { t: 'RowExclusiveLock', u: 'AccessShareLock' }],
    ['INSERT INTO t SELECT * FROM u', { t: 'RowExclusiveLock', u: 'AccessShareLock' }],
    ['WITH recent AS (SELECT * FROM events) DELETE FROM t WHERE id IN (SELECT id FROM recent)', { t: 'RowExclusiveLock', events: 'AccessShareLock' }],
    ['SELECT * FROM a JOIN b ON a.id = b.id', { a: 'AccessShareLock', b: 'AccessShareLock' }],
    ['SELECT * FROM a JOIN b ON a.id = b.id FOR UPDATE', { a: 'RowShareLock', b: 'RowShareLock' }],
    ['SELECT * FROM a AS x JOIN b ON x.id = b.id FOR UPDATE OF x', { a: 'RowShareLock', b: 'AccessShareLock' }],
  ])('%s', async (sql, expected) => {
    expect(await on(sql)).toEqual(expected);
  });

  it('names nothing it cannot see: REINDEX SCHEMA, VACUUM of every table, a SET', async () => {
    expect(await locks('REINDEX SCHEMA s')).toEqual([]);
    expect(await locks('VACUUM')).toEqual([]);
    expect(await locks('SET lock_timeout = 1000')).toEqual([]);
  });

  it('judges by the server version where PostgreSQL lowered a lock', async () => {
    expect(await on('ALTER TABLE p ATTACH PARTITION p1 FOR VALUES IN (1)', 11)).toEqual({ p: 'AccessExclusiveLock', p1: 'AccessExclusiveLock' });
    expect(await on('ALTER TABLE p ATTACH PARTITION p1 FOR VALUES IN (1)', 12)).toEqual({ p: 'ShareUpdateExclusiveLock', p1: 'AccessExclusiveLock' });
    expect(await on('ALTER INDEX i RENAME TO j', 11)).toEqual({ i: 'AccessExclusiveLock' });
    expect(await on('ALTER INDEX i RENAME TO j', 12)).toEqual({ i: 'ShareUpdateExclusiveLock' });
  });

  it('gives one entry by relation, in its strongest mode (a self-referencing foreign key)', async () => {
    expect(await locks('ALTER TABLE t ADD COLUMN parent int REFERENCES t (id)')).toEqual([{ relation: 't', mode: 'AccessExclusiveLock' }]);
  });
});

describe('conflictsWith', () => {
  it('follows PostgreSQL\'s conflict matrix', () => {
    expect(conflictsWith('AccessShareLock')).toEqual(['AccessExclusiveLock']);
    expect(conflictsWith('RowExclusiveLock')).toEqual(['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock']);
    expect(conflictsWith('ShareUpdateExclusiveLock')).toContain('ShareUpdateExclusiveLock');
    expect(conflictsWith('ShareLock')).not.toContain('ShareLock');
    expect(conflictsWith('ShareLock')).toContain('RowExclusiveLock');
    expect(conflictsWith('AccessExclusiveLock')).toEqual([...LOCK_MODES]);
  });

  it('is symmetric, and stronger modes conflict with more', () => {
    for (const a of LOCK_MODES) for (const b of LOCK_MODES) expect([a, b, conflicts(a, b)]).toEqual([a, b, conflicts(b, a)]);
    const counts = LOCK_MODES.map((m) => conflictsWith(m).length);
    expect(counts).toEqual([...counts].sort((x, y) => x - y));
  });

  it('says which statements wait for each other: an index build blocks writes, not reads', async () => {
    const [build] = await locks('CREATE INDEX i ON t (a)');
    const [write] = await locks('UPDATE t SET a = 1');
    const [read] = await locks('SELECT * FROM t');
    expect(conflicts(build.mode, write.mode)).toBe(true);
    expect(conflicts(build.mode, read.mode)).toBe(false);
  });
});
