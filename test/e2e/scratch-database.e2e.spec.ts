import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ScratchServer } from '../../libs/migrator/src/scratch-database';
import { urlFor, withClient } from '../support/database';

const admin = () => urlFor('postgres');
const scratchNames = () => withClient(admin(), async (c) => (await c.query<{ datname: string }>(`select datname from pg_database where datname like 'zdm\\_scratch\\_%' order by 1`)).rows.map((r) => r.datname));

describe('the scratch server that verify and the trace build on', () => {
  it('--scratch-url: creates empty databases of its own, drops them on close, and names its major', async () => {
    const server = await ScratchServer.open({ url: admin(), dataDir: '/nonexistent' });
    let two: Awaited<ReturnType<ScratchServer['create']>> | undefined;
    try {
      const one = await server.create();
      two = await server.create();
      expect(one.name).toMatch(/^zdm_scratch_\d{14}_[0-9a-f]{8}$/);
      expect(two.name).not.toBe(one.name);
      const tables = await withClient(one.target.url, async (c) => (await c.query(`select count(*)::int as n from pg_tables where schemaname = 'public'`)).rows[0].n);
      expect(tables).toBe(0);
      await one.drop();
      // other test files may hold scratch databases of their own meanwhile: only ours are looked at
      expect(await scratchNames()).toEqual(expect.arrayContaining([two.name]));
      expect(await scratchNames()).not.toContain(one.name);
      const major = await withClient(admin(), async (c) => Math.floor(Number((await c.query(`select current_setting('server_version_num') as v`)).rows[0].v) / 10_000));
      expect(server.major).toBe(major);
      expect(server.differsFrom(major)).toBeUndefined();
      expect(server.differsFrom(major === 13 ? 14 : 13)).toMatch(/the scratch server is PostgreSQL \d+, the target is \d+: .* pass --scratch-url/);
    } finally {
      await server.close();
    }
    expect(await scratchNames()).not.toContain(two!.name);
  });

  it('drops what a killed process left (an old scratch database nobody uses), and nothing that is not ours', async () => {
    const stale = 'zdm_scratch_20200101000000_deadbeef';
    const foreign = 'zdm_scratch_keep_me';
    await withClient(admin(), async (c) => {
      await c.query(`create database "${stale}"`);
      await c.query(`create database "${foreign}"`);
    });
    try {
      const server = await ScratchServer.open({ url: admin(), dataDir: '/nonexistent' });
      await server.close();
      const left = await scratchNames();
      expect(left).not.toContain(stale);
      expect(left).toContain(foreign);
    } finally {
      await withClient(admin(), async (c) => {
        await c.query(`drop database if exists "${stale}"`);
        await c.query(`drop database if exists "${foreign}"`);
      });
    }
  });

  it('a role that cannot create databases is refused with the fix, and nothing is left open', async () => {
    const role = `zdm_test_nocreate_${process.pid}`;
    await withClient(admin(), (c) => c.query(`create role ${role} login password 'scratch-pw-123' nocreatedb`));
    try {
      const url = new URL(admin());
      url.username = role;
      url.password = 'scratch-pw-123';
      const error = await ScratchServer.open({ url: url.toString(), dataDir: '/nonexistent' }).catch((e: Error) => e);
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(new RegExp(`role "${role}" .* cannot create databases.*ALTER ROLE ${role} CREATEDB.*leave --scratch-url out`));
      expect((error as Error).message).not.toContain('scratch-pw-123');
      const open = await withClient(admin(), async (c) => (await c.query(`select count(*)::int as n from pg_stat_activity where usename = $1`, [role])).rows[0].n);
      expect(open).toBe(0);
    } finally {
      await withClient(admin(), (c) => c.query(`drop role if exists ${role}`));
    }
  });

  it('with no --scratch-url, the embedded server: started for the check, stopped on close', async () => {
    const dataDir = join(mkdtempSync(join(tmpdir(), 'zdm-scratch-')), 'pg');
    try {
      const server = await ScratchServer.open({ dataDir });
      expect(server.source).toBe('embedded');
      const db = await server.create();
      await withClient(db.target.url, (c) => c.query('create table t (id int)'));
      await server.close();
      await expect(withClient(db.target.url, (c) => c.query('select 1'))).rejects.toThrow();
    } finally {
      rmSync(join(dataDir, '..'), { recursive: true, force: true });
    }
  }, 60_000);
});
