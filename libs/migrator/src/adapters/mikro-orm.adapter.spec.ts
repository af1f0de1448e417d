import { MikroOrmAdapter } from './mikro-orm.adapter';

// MikroORM's migrator lists its glob's files and sorts the paths with Array#sort and no comparator
// (@mikro-orm/core utils/AbstractMigrator): code-unit order. Our plan and our runs must follow it.
describe('MikroOrmAdapter.compare', () => {
  const adapter = new MikroOrmAdapter({ app: 'ledger', url: 'postgres://localhost/unused', files: [] });
  const entry = (file: string) => ({ name: file.replace(/^.*\/|\.ts$/g, ''), file, checksum: '', historyName: file.replace(/^.*\//, '') });

  it('migrations whose names differ by punctuation or case ran in another order than MikroORM runs them', () => {
    const files = ['/m/Migration20240115_add_1.ts', '/m/Migration20240115_add1.ts', '/m/Migration20240115_Add2.ts', '/m/migration20240101.ts', '/m/Migration20240115.ts', '/m/Migration20240115-hotfix.ts'];
    const mikroOrmOrder = [...files].sort();
    const ours = files.map(entry).sort((a, b) => adapter.compare(a, b)).map((e) => e.file);
    expect(ours).toEqual(mikroOrmOrder);
    // the order localeCompare gives is not MikroORM's, for these names
    expect([...files].sort((a, b) => a.localeCompare(b))).not.toEqual(mikroOrmOrder);
  });

  it('equal files compare equal', () => {
    expect(adapter.compare(entry('/m/a.ts'), entry('/m/a.ts'))).toBe(0);
  });
});
