import { spawn } from 'node:child_process';
import { join } from 'node:path';

export const ROOT = join(__dirname, '../..');
export const CLI = join(ROOT, 'libs/migration-cli/dist/main.js');

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** The environment of a CLI run: this process's, minus anything that would pick another database. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const key of Object.keys(env)) if (/DATABASE_URL$|^PG[A-Z]+$|^MIGRATION_|^DRY_RUN$|^ENV$|WEBHOOK|SLACK|TELEGRAM|PUSHGATEWAY|^ZDM_TEST_|^LOG_FORMAT$|^FORCE_COLOR$|^NO_COLOR$|^GITHUB_/.test(key)) delete env[key];
  delete env.NODE_OPTIONS;
  // readable log lines, as on a terminal; the JSON log format has a test of its own
  return { ...env, LOG_FORMAT: 'pretty', ...extra };
}

/** Runs the real `migrate` command (the compiled CLI) as its own process. */
export function runMigrate(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: cleanEnv(options.env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** Starts the CLI and gives back the child, for tests that signal or kill it. */
export function startMigrate(args: string[], options: { env?: Record<string, string | undefined>; cwd?: string } = {}) {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: options.cwd ?? ROOT, env: cleanEnv(options.env) });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => {
    const started = Date.now();
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr, ms: Date.now() - started }));
  });
  return { child, done, output: () => stdout + stderr };
}
