import type { Node } from '@pgsql/types';
import { nodeOf, qualifiedName, statementOf } from './nodes';
import { parseStatements } from './parse';
import { collect, visit } from './visit';

const first = async (sql: string) => (await parseStatements(sql))[0];

describe('visit', () => {
  it('calls back on every node of a type, at any depth, in the parser order', async () => {
    const s = await first('SELECT round(random()::numeric, abs(length(md5(x)))) FROM t WHERE y IN (SELECT now())');
    const names: string[] = [];
    visit(s.node, { FuncCall: (call) => void names.push(qualifiedName(call.funcname)) });
    expect(names).toEqual(['round', 'random', 'abs', 'length', 'md5', 'now']);
  });

  it('gives each callback the typed body of its node', async () => {
    const s = await first('ALTER TABLE billing.chargebacks ADD COLUMN token uuid DEFAULT gen_random_uuid(), ADD CONSTRAINT c CHECK (amount > 0) NOT VALID');
    const seen: string[] = [];
    visit(s.node, {
      AlterTableCmd: (cmd) => void seen.push(`cmd ${cmd.subtype}`),
      ColumnDef: (column) => void seen.push(`column ${column.colname}`),
      Constraint: (c) => void seen.push(`constraint ${c.contype}${c.skip_validation ? ' not valid' : ''}`),
    });
    expect(seen).toEqual(['cmd AT_AddColumn', 'column token', 'constraint CONSTR_DEFAULT', 'cmd AT_AddConstraint', 'constraint CONSTR_CHECK not valid']);
  });

  it('walks through bare structs: a RangeVar in a field, a list of lists', async () => {
    const s = await first('DROP INDEX CONCURRENTLY billing.i1, i2');
    expect(collect(s.node, 'String').map((n) => n.sval)).toEqual(['billing', 'i1', 'i2']);
    const u = await first('UPDATE t SET a = upper(b) FROM (SELECT lower(c) AS b FROM u) AS sub');
    expect(collect(u, 'FuncCall').map((c) => qualifiedName(c.funcname))).toEqual(['upper', 'lower']);
  });

  it('skips what is under a node whose callback returns false, and goes on beside it', async () => {
    const s = await first('SELECT f(g(1)), h(2)');
    const names: string[] = [];
    visit(s.node, {
      FuncCall: (call) => {
        names.push(qualifiedName(call.funcname));
        return false;
      },
    });
    expect(names).toEqual(['f', 'h']);
  });

  it('takes a node, a list of nodes, or nothing', () => {
    const a: Node = { A_Const: { ival: { ival: 1 } } };
    const b: Node = { String: { sval: 'x' } };
    expect(collect(a, 'A_Const')).toEqual([{ ival: { ival: 1 } }]);
    expect(collect([a, b], 'String')).toEqual([{ sval: 'x' }]);
    expect(collect(undefined, 'String')).toEqual([]);
  });
});

describe('node accessors', () => {
  it('read a node of one type, or nothing', () => {
    const n: Node = { String: { sval: 'x' } };
    expect(nodeOf(n, 'String')?.sval).toBe('x');
    expect(nodeOf(n, 'Integer')).toBeUndefined();
    expect(nodeOf(undefined, 'String')).toBeUndefined();
  });

  it('narrow a statement by its type', async () => {
    const s = await first('CREATE INDEX CONCURRENTLY i ON t (a)');
    expect(statementOf(s, 'IndexStmt')?.concurrent).toBe(true);
    expect(statementOf(s, 'DropStmt')).toBeUndefined();
    if (s.kind === 'IndexStmt') expect(s.node.idxname).toBe('i');
    else throw new Error(`parsed as ${s.kind}`);
  });
});
