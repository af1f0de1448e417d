import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEnv } from './env';

describe('loadEnv', () => {
  const dir = mkdtempSync(join(tmpdir(), 'zdm-env-'));
  writeFileSync(join(dir, '.env'), 'A=from-env\nB=from-env\nC=from-env\n');
  writeFileSync(join(dir, '.env.staging'), 'B=from-staging\nC=from-staging\n');

  it('layers real variables over .env.<ENV> over .env, without touching process.env', () => {
    const { env, files } = loadEnv(dir, { ENV: 'staging', C: 'real' });
    expect([env.A, env.B, env.C]).toEqual(['from-env', 'from-staging', 'real']);
    expect(files).toEqual([join(dir, '.env'), join(dir, '.env.staging')]);
    expect(process.env.A).toBeUndefined();
  });

  it('is fine without a .env.<ENV> file', () => {
    expect(loadEnv(dir, { ENV: 'production' }).env.B).toBe('from-env');
  });
});
