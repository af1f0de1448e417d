import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'pg-connection-string';
import { parseDatabaseUrl, resolveDatabaseUrl } from './database-url';

describe('resolveDatabaseUrl', () => {
  it("prefers the app's own variable, then DATABASE_URL", () => {
    const env = { PAYMENTS_DATABASE_URL: 'postgres://a:x@pay:5432/payments', DATABASE_URL: 'postgres://b:y@shared:5432/app' };
    expect(resolveDatabaseUrl('payments', env)?.host).toBe('pay');
    expect(resolveDatabaseUrl('ledger', env)?.host).toBe('shared');
    expect(resolveDatabaseUrl('ledger', { ...env, LEDGER_URL: 'postgres://c@own/l' }, 'LEDGER_URL')?.host).toBe('own');
  });

  it('falls back to the PG* variables, and to nothing (the embedded server) without them', () => {
    expect(resolveDatabaseUrl('payments', { PGHOST: 'db.internal', PGUSER: 'app', PGDATABASE: 'pay' })).toMatchObject({ host: 'db.internal', database: 'pay', user: 'app' });
    expect(resolveDatabaseUrl('payments', {})).toBeUndefined();
  });

  it('a socket directory in PGHOST (/var/run/postgresql) became a URL pg could not read', () => {
    const target = resolveDatabaseUrl('payments', { PGHOST: '/var/run/postgresql', PGUSER: 'app', PGDATABASE: 'pay' })!;
    expect(target).toMatchObject({ host: '/var/run/postgresql', port: 5432, database: 'pay', user: 'app' });
    expect(parse(target.url)).toMatchObject({ host: '/var/run/postgresql', database: 'pay', user: 'app' });
  });

  it('PGSSLMODE and PGPASSWORD were not applied to a URL that names neither', () => {
    const target = resolveDatabaseUrl('payments', { DATABASE_URL: 'postgres://app@db:5432/pay', PGSSLMODE: 'verify-full', PGPASSWORD: 'pw-1' })!;
    expect(parse(target.url)).toMatchObject({ host: 'db', user: 'app', password: 'pw-1', sslmode: 'verify-full' });
    expect(target.display).not.toContain('pw-1');
    const own = resolveDatabaseUrl('payments', { DATABASE_URL: 'postgres://app:own@db:5432/pay?sslmode=disable', PGSSLMODE: 'require', PGPASSWORD: 'pw-1' })!;
    expect(parse(own.url)).toMatchObject({ password: 'own', sslmode: 'disable' });
  });

  it('the password file (PGPASSFILE, ~/.pgpass) was not read for a URL without a password', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdm-pgpass-'));
    try {
      const file = join(dir, 'pgpass');
      writeFileSync(file, '# comment\nother:5432:*:app:wrong\ndb:5432:pay:app:from\\:file\nlocalhost:*:*:app:socket-pw\n');
      chmodSync(file, 0o600);
      expect(parse(resolveDatabaseUrl('payments', { DATABASE_URL: 'postgres://app@db/pay', PGPASSFILE: file })!.url).password).toBe('from:file');
      expect(parse(resolveDatabaseUrl('payments', { PGHOST: '/tmp', PGUSER: 'app', PGDATABASE: 'pay', PGPASSFILE: file })!.url).password).toBe('socket-pw');
      expect(parse(resolveDatabaseUrl('payments', { DATABASE_URL: 'postgres://app@db/pay', HOME: dir })!.url).password).toBeFalsy();
      chmodSync(file, 0o644);
      expect(parse(resolveDatabaseUrl('payments', { DATABASE_URL: 'postgres://app@db/pay', PGPASSFILE: file })!.url).password).toBeFalsy();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('parseDatabaseUrl', () => {
  it('takes ?schema= off the URL and keeps it for the history tables', () => {
    const target = parseDatabaseUrl('postgres://u:p@h:6543/db?schema=billing&sslmode=disable', 'DATABASE_URL');
    expect(target).toMatchObject({ host: 'h', port: 6543, database: 'db', schema: 'billing' });
    expect(target.url).not.toContain('schema=');
    expect(target.url).toContain('sslmode=disable');
  });

  it('adds sslmode=require for DB_SSL=1', () => {
    expect(parseDatabaseUrl('postgres://u@h/db', 'DATABASE_URL', { DB_SSL: '1' }).url).toContain('sslmode=require');
  });

  it('redacts the password for display', () => {
    expect(parseDatabaseUrl('postgres://u:s3cret@h/db', 'DATABASE_URL').display).toBe('postgres://u:***@h/db');
  });

  it.each([
    ['postgres//nope:pw@@', /DATABASE_URL is not a valid URL: expected postgres:\/\/user:pass@host:5432\/db/],
    ['mysql://u:pw@h/db', /not a PostgreSQL URL \(scheme "mysql"\)/],
  ])('names the variable and the expected shape for %s', (url, message) => {
    expect(() => parseDatabaseUrl(url, 'DATABASE_URL')).toThrow(message);
    try {
      parseDatabaseUrl(url, 'DATABASE_URL');
    } catch (error) {
      expect((error as Error).message).not.toContain('pw');
    }
  });
});

describe('a URL variable set but empty', () => {
  it.each([
    ['DATABASE_URL', { DATABASE_URL: '' }, undefined],
    ['PAYMENTS_DATABASE_URL', { PAYMENTS_DATABASE_URL: ' ', DATABASE_URL: 'postgres://b@shared/app' }, undefined],
    ['PAY_URL', { PAY_URL: '', DATABASE_URL: 'postgres://b@shared/app' }, 'PAY_URL'],
  ])('%s= is refused by name, never read as unset (exit 2)', (name, env, urlEnv) => {
    expect(() => resolveDatabaseUrl('payments', env, urlEnv)).toThrow(expect.objectContaining({ exitCode: 2, message: expect.stringContaining(`${name} is set but empty`) }));
  });
});

describe('sslmode as libpq reads it', () => {
  it('passes libpq semantics to pg (no SECURITY WARNING) and keeps the shown URL as given', () => {
    const target = parseDatabaseUrl('postgres://u:p@h/db?sslmode=require', 'DATABASE_URL');
    expect(new URL(target.url).searchParams.get('uselibpqcompat')).toBe('true');
    expect(target.display).not.toContain('uselibpqcompat');
    expect(new URL(parseDatabaseUrl('postgres://u@h/db', 'DATABASE_URL', { DB_SSL: '1' }).url).searchParams.get('uselibpqcompat')).toBe('true');
    expect(parseDatabaseUrl('postgres://u@h/db', 'DATABASE_URL').url).not.toContain('uselibpqcompat');
  });
});
