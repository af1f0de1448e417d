import { parseStatements } from '../../libs/migration-lint/src/parse';
import { createTestDatabase, withClient } from '../support/database';
import { readRulePages, type SqlBlock } from '../support/rule-pages';

/**
 * Each rule page's safe way reaches what its hazard reaches: the page's "Given:" block then the
 * hazard is applied to one fresh database, the "Given:" block then the safe way to another, and
 * the two schemas are read from the catalog and compared (how a page's blocks are found and what
 * their `-- a transactional migration` and `-- PostgreSQL N and later` first lines mean:
 * test/support/rule-pages.ts). So a safe way can't be a `SELECT 1`, and an example that no longer
 * runs (on 13 as on 18, when it claims to) fails here. Linting the same blocks:
 * libs/migration-lint/src/docs-safe-ways.spec.ts.
 *
 * Compared: tables, views and partitions; columns (type, nullability, default, generation,
 * identity) by name; constraints (pg_get_constraintdef, validated or not) of tables and domains;
 * indexes (pg_get_indexdef, indisvalid); sequences (type, bounds, owning column); enum labels in
 * order; domains. Objects the safe way drops at its end are gone, so they don't count; functions
 * and triggers are not compared.
 */

/** Pages whose safe way is not a schema change of the hazard's shape: the comparison would prove nothing. */
const CANNOT_COMPARE: Record<string, string> = {
  'ban-drop-database':
    'a database is no part of the schema a scratch database holds, and the safe way is to drop it by hand: the SQL it shows is the hazard itself under an ignore comment',
};

/**
 * Hazards PostgreSQL itself refuses as the page shows them (in one transaction), by SQLSTATE: the
 * test expects the refusal, then compares the safe way with what the migration meant, the same
 * statements each committed on its own.
 */
const REFUSED: Record<string, string> = {
  'concurrently-in-transaction': '25001', // active_sql_transaction: cannot run inside a transaction block
  'enum-value-used-in-same-transaction': '55P04', // unsafe_new_enum_value_usage
};

/** Hazards that change nothing the catalog shows, so any safe way would match them: listed, with what they do change. */
const UNCHANGED_BY_HAZARD: Record<string, string> = {
  'ban-vacuum-full-cluster': 'VACUUM FULL rewrites the table’s storage, not its schema',
  'require-concurrent-reindex': 'REINDEX rebuilds the index’s storage, not its definition',
};

/** Pages where the rows are the point (the hazard changes data only): the tables' rows are compared too. */
const ROWS_COMPARED = new Set(['ban-truncate', 'ban-lock-table', 'enum-value-used-in-same-transaction']);

/** The same shape by another name, or the same column kept another way: each line of both schemas is rewritten so. */
const SAME_SHAPE: Record<string, { reason: string; rewrite: (line: string) => string }> = {
  'changing-column-type': {
    reason: 'expand/contract ends with the new type under the new column’s name',
    rewrite: (l) => l.replace(/\bamount_minor_v2\b/g, 'amount_minor'),
  },
  'drop-and-add-same-column': {
    reason: 'expand/contract ends with the new type under the new column’s name',
    rewrite: (l) => l.replace(/\bamount_minor\b/g, 'amount'),
  },
  'adding-stored-generated-column': {
    reason: 'before 18 a trigger keeps the column current instead of a STORED generation, and on 18 it is VIRTUAL: the same column, computed another way',
    rewrite: (l) => (l.startsWith('column chargebacks.amount_cents ') ? l.replace(/ default .*$| generated \w$/g, '') : l),
  },
};

const SCHEMA = `
select 'relation ' || c.relname || ' ' || c.relkind::text
       || coalesce(' partition of ' || (select p.relname from pg_inherits i join pg_class p on p.oid = i.inhparent where i.inhrelid = c.oid) || ' ' || pg_get_expr(c.relpartbound, c.oid), '') as line
  from pg_class c join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
union all
select 'column ' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
       || case when a.attnotnull then ' not null' else ' null' end
       || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
       || case when a.attgenerated <> '' then ' generated ' || a.attgenerated::text else '' end
       || case when a.attidentity <> '' then ' identity ' || a.attidentity::text else '' end
  from pg_attribute a join pg_class c on c.oid = a.attrelid join pg_namespace n on n.oid = c.relnamespace
  left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
 where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f') and a.attnum > 0 and not a.attisdropped
union all
select 'constraint ' || coalesce(c.relname, t.typname) || ' ' || k.conname || ' ' || k.contype::text || ' ' || pg_get_constraintdef(k.oid)
       || case when k.convalidated then '' else ' not valid' end
  from pg_constraint k join pg_namespace n on n.oid = k.connamespace
  left join pg_class c on c.oid = k.conrelid left join pg_type t on t.oid = k.contypid
 where n.nspname = 'public'
union all
select 'index ' || pg_get_indexdef(i.indexrelid) || case when i.indisvalid then '' else ' invalid' end
  from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
 where n.nspname = 'public'
union all
select 'sequence ' || s.sequencename || ' ' || s.data_type::text || ' start ' || s.start_value || ' by ' || s.increment_by
       || ' min ' || s.min_value || ' max ' || s.max_value || case when s.cycle then ' cycle' else '' end
       || coalesce(' owned by ' || (select c.relname || '.' || a.attname
                                      from pg_depend d join pg_class c on c.oid = d.refobjid
                                      join pg_attribute a on a.attrelid = d.refobjid and a.attnum = d.refobjsubid
                                     where d.classid = 'pg_class'::regclass and d.refclassid = 'pg_class'::regclass
                                       and d.objid = (quote_ident(s.schemaname) || '.' || quote_ident(s.sequencename))::regclass
                                       and d.deptype in ('a', 'i')), '')
  from pg_sequences s
 where s.schemaname = 'public'
union all
select 'enum ' || t.typname || ' ' || string_agg(e.enumlabel, ',' order by e.enumsortorder)
  from pg_type t join pg_enum e on e.enumtypid = t.oid join pg_namespace n on n.oid = t.typnamespace
 where n.nspname = 'public'
 group by t.typname
union all
select 'domain ' || t.typname || ' ' || format_type(t.typbasetype, t.typtypmod)
       || case when t.typnotnull then ' not null' else '' end || coalesce(' default ' || t.typdefault, '')
  from pg_type t join pg_namespace n on n.oid = t.typnamespace
 where n.nspname = 'public' and t.typtype = 'd'
order by 1`;

const TABLES = `select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'public' and c.relkind = 'r' order by 1`;

async function snapshot(url: string, rows: boolean): Promise<string[]> {
  return withClient(url, async (c) => {
    const lines = (await c.query<{ line: string }>(SCHEMA)).rows.map((r) => r.line);
    if (rows) {
      for (const { relname } of (await c.query<{ relname: string }>(TABLES)).rows) {
        const { rows: data } = await c.query<{ rows: string }>(`select coalesce(string_agg(t::text, ' ' order by t::text), '') as rows from "${relname}" t`);
        lines.push(`rows ${relname}: ${data[0].rows}`);
      }
    }
    return lines;
  });
}

async function statementsOf(sql: string): Promise<string[]> {
  return (await parseStatements(sql)).map((s) => s.text);
}

/** Applies blocks in order on one connection: a transactional block in one transaction, any other statement by statement. */
async function apply(url: string, blocks: SqlBlock[]): Promise<void> {
  await withClient(url, async (c) => {
    for (const block of blocks) {
      const statements = await statementsOf(block.sql);
      if (!block.transactional) {
        for (const s of statements) await c.query(s);
        continue;
      }
      await c.query('BEGIN');
      try {
        for (const s of statements) await c.query(s);
        await c.query('COMMIT');
      } catch (error) {
        await c.query('ROLLBACK');
        throw error;
      }
    }
  });
}

const pages = readRulePages();
let serverMajor = 0;

beforeAll(async () => {
  const db = await createTestDatabase('docs_version');
  try {
    serverMajor = Math.floor(Number((await db.query<{ v: string }>(`select current_setting('server_version_num') as v`))[0].v) / 10_000);
  } finally {
    await db.drop();
  }
});

describe("each rule page's safe way reaches the schema its hazard reaches", () => {
  it('lists only real pages among the exceptions, each with its reason', () => {
    const rules = pages.map((p) => p.rule);
    for (const list of [CANNOT_COMPARE, REFUSED, UNCHANGED_BY_HAZARD, SAME_SHAPE]) for (const rule of Object.keys(list)) expect(rules).toContain(rule);
    for (const rule of ROWS_COMPARED) expect(rules).toContain(rule);
    expect(Object.keys(CANNOT_COMPARE).length).toBeLessThanOrEqual(4);
  });

  it.each(pages.filter((p) => !CANNOT_COMPARE[p.rule]).map((p) => [p.rule, p] as const))('%s', async (rule, page) => {
    const rows = ROWS_COMPARED.has(rule);
    const rewrite = (lines: string[]) => lines.map(SAME_SHAPE[rule]?.rewrite ?? ((l) => l)).sort();
    const given: SqlBlock[] = [{ sql: page.given ?? '', transactional: false }];
    // the blocks without a version are one way, for every major; each versioned block is a way of its own
    const ways = [page.safe.filter((b) => b.sinceMajor === undefined), ...page.safe.filter((b) => b.sinceMajor !== undefined).map((b) => [b])].filter(
      (way) => way.length > 0 && way.every((b) => (b.sinceMajor ?? 0) <= serverMajor),
    );

    const hazardDb = await createTestDatabase(`docs_hazard_${rule}`);
    let reached: string[];
    let start: string[];
    try {
      await apply(hazardDb.url, given);
      start = await snapshot(hazardDb.url, rows);
      if (REFUSED[rule]) {
        await expect(apply(hazardDb.url, page.hazard)).rejects.toMatchObject({ code: REFUSED[rule] });
        await apply(hazardDb.url, page.hazard.map((b) => ({ ...b, transactional: false })));
      } else {
        await apply(hazardDb.url, page.hazard);
      }
      reached = await snapshot(hazardDb.url, rows);
    } finally {
      await hazardDb.drop();
    }
    // the hazard does change something, else a safe way doing nothing would match it
    if (!UNCHANGED_BY_HAZARD[rule]) expect(reached).not.toEqual(start);

    for (const way of ways) {
      const safeDb = await createTestDatabase(`docs_safe_${rule}`);
      try {
        await apply(safeDb.url, given);
        await apply(safeDb.url, way);
        expect(rewrite(await snapshot(safeDb.url, rows))).toEqual(rewrite(reached));
      } finally {
        await safeDb.drop();
      }
    }
    // on 18 every way of the page runs; before, at least the one for every major when there is one
    if (serverMajor >= 18) expect(ways.length).toBe(page.safe.filter((b) => b.sinceMajor !== undefined).length + (page.safe.some((b) => b.sinceMajor === undefined) ? 1 : 0));
  });
});
