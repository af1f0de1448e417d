import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';

const pnpm = (args: string[], env: Record<string, string>, cwd = ROOT) => spawnSync('pnpm', ['-s', ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', timeout: 120_000 });

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Starts the built app as its Deployment would (`node dist/src/main.js`), collecting its stdout lines. */
async function startBuilt(app: string, env: Record<string, string>) {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'apps', app, 'dist/src/main.js')], { cwd: join(ROOT, 'apps', app), env: { ...process.env, ...env, PORT: String(port), LOG_FORMAT: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffer = '';
  child.stdout.on('data', (chunk: Buffer) => {
    buffer += chunk.toString('utf8');
    const parts = buffer.split('\n');
    buffer = parts.pop()!;
    lines.push(...parts.filter(Boolean));
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const up = await fetch(`${base}/health`).then(
      () => true,
      () => false,
    );
    if (up) break;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`${app} did not start: ${stderr}${lines.join('\n')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // Nest's shutdown hooks close the app, then end the process with the signal it received
  const stop = () =>
    new Promise<string>((resolve) => {
      if (child.exitCode !== null) return resolve(`exit ${child.exitCode}`);
      child.once('exit', (code, signal) => resolve(signal ?? `exit ${code}`));
      child.kill('SIGTERM');
    });
  return { base, lines, stop };
}

describe('the example apps as their Nest CLI builds them', () => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await createTestDatabase('built_apps');
  });
  afterAll(() => db.drop());

  it.each(['payments', 'ledger'])('%s: `nest build` (its build script), its migrate script, JSON log lines, and readiness that follows the migrations', async (app) => {
    const build = pnpm(['--filter', `@zdm/${app}`, 'build'], {});
    expect([build.status, build.stderr]).toEqual([0, '']);
    for (const file of ['dist/src/main.js', 'dist/migrate.js', 'dist/migrations/migrations.manifest.json']) expect([file, existsSync(join(ROOT, 'apps', app, file))]).toEqual([file, true]);

    const env = { DATABASE_URL: db.url, LOG_FORMAT: 'json' };
    const status = pnpm(['migrate', 'status', '--json'], env, join(ROOT, 'apps', app));
    expect(status.status).toBe(0);
    expect(JSON.parse(status.stdout).apps.map((a: { app: string }) => a.app)).toEqual([app]);

    const running = await startBuilt(app, { DATABASE_URL: db.url });
    try {
      // this release's migrations are not applied yet on this database: not ready
      const before = await fetch(`${running.base}/health/ready`);
      expect(before.status).toBe(503);
      expect((await runMigrate(['up', '--app', app], { env: { DATABASE_URL: db.url } })).code).toBe(0);
      // the answer is cached for 5 s: ready within the next probes, not at once
      const deadline = Date.now() + 15_000;
      let after = await fetch(`${running.base}/health/ready`);
      while (after.status !== 200 && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 500));
        after = await fetch(`${running.base}/health/ready`);
      }
      expect(after.status).toBe(200);
    } finally {
      expect(await running.stop()).toBe('SIGTERM');
    }
    // every line the app wrote is one JSON object, the CLI's shape, the request log included
    expect(running.lines.length).toBeGreaterThan(2);
    const entries = running.lines.map((line) => JSON.parse(line) as { level: string; time: string; app: string; msg: string; req?: { url: string } });
    for (const entry of entries) expect(entry).toMatchObject({ level: expect.any(String), time: expect.any(String), app });
    expect(entries.some((e) => e.req?.url === '/health/ready')).toBe(true);
  }, 120_000);
});
