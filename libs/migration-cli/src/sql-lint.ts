import { existsSync, statSync } from 'node:fs';
import { extname, isAbsolute, resolve } from 'node:path';
import { envValue, loadEnv, type Env } from '@zdm/db/env';
import type { ReportedFinding } from './commands/lint-report';
import { LINT_FORMATS, type Format } from './commands/lint-formats';
import { findConfig } from './config/find-config';
import { EDGE_VARIABLES } from './edge-variables';

// loaded only on the quick path: every other command line reads its argv here and goes on to the full CLI
const linter = () => require('@zdm/migration-lint') as typeof import('@zdm/migration-lint');
const report = () => require('./commands/lint-report') as typeof import('./commands/lint-report');
const configLoader = () => require('./config/load-config') as typeof import('./config/load-config');
const redaction = () => require('@zdm/observability/redaction') as typeof import('@zdm/observability/redaction');

interface QuickArgs {
  files: string[];
  format?: Format;
  json: boolean;
  config?: string;
}

/**
 * `lint` given only .sql files, with no flag but --format, --json and --config: undefined for any
 * other command line (a flag it doesn't know, --help, --since, a migration written in TypeScript).
 */
function quickArgs(argv: string[]): QuickArgs | undefined {
  const args: QuickArgs = { files: [], json: false };
  let command: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i];
    const [flag, inline] = token.startsWith('--') && token.includes('=') ? [token.slice(0, token.indexOf('=')), token.slice(token.indexOf('=') + 1)] : [token, undefined];
    const value = () => inline ?? argv[++i];
    if (flag === '--json' && inline === undefined) args.json = true;
    else if (flag === '--format') {
      const format = value();
      if (!LINT_FORMATS.includes(format as Format)) return undefined;
      args.format = format as Format;
    } else if (flag === '--config' || (flag === '-c' && inline === undefined)) {
      args.config = value();
      if (!args.config) return undefined;
    } else if (token.startsWith('-')) return undefined;
    else if (!command) command = token;
    else if (extname(token) === '.sql') args.files.push(token);
    else return undefined;
  }
  return command === 'lint' && args.files.length ? args : undefined;
}

export interface QuickStreams {
  stdout: NodeJS.WritableStream;
  cwd: string;
  env: Env;
}

/**
 * The quick path of `lint` for .sql files: the same config, env files, redaction, findings and
 * output as the lint command, without loading the command line parser, the logger, the engine or
 * an ORM (a .sql file needs no database). Resolves undefined, having printed nothing, when the full
 * CLI must run instead: another command line, a path that is missing or no file, a config or env
 * mistake (the full CLI reports those as it always does).
 */
export async function quickSqlLint(argv: string[], io: QuickStreams): Promise<number | undefined> {
  const args = quickArgs(argv);
  if (!args) return undefined;
  // A lint of one short process: V8's young generation keeps its first size instead of doubling
  // up to 16 MiB as the parse trees and findings pile up. More, smaller scavenges take the same
  // time in all (1,000 statements: the same time, about 8 MiB less peak RSS). Like the parser's
  // WebAssembly flags (parse.ts), it applies from here on, in this process.
  // node:v8 loads here, on the quick path only: it is a few ms of every other command's start
  (require('node:v8') as typeof import('node:v8')).setFlagsFromString('--semi-space-growth-factor=1');
  const files = args.files.map((p) => (isAbsolute(p) ? p : resolve(io.cwd, p)));
  if (!files.every((f) => existsSync(f) && statSync(f).isFile())) return undefined;
  const file = args.config ? resolve(io.cwd, args.config) : findConfig(io.cwd);
  if (!file) return undefined;
  let redact: (text: string) => string;
  let config: ReturnType<ReturnType<typeof configLoader>['loadConfig']>;
  try {
    config = configLoader().loadConfig(file);
    const { env } = loadEnv(config.rootDir, io.env);
    for (const name of EDGE_VARIABLES) envValue(env, name);
    redact = redaction().createRedactor(env);
  } catch {
    return undefined;
  }
  const { lintRun, placeInSource } = linter();
  const { reportFindings, sqlUnit } = report();
  const units = [];
  for (const f of files) units.push(await sqlUnit(f, config.lint));
  const findings: ReportedFinding[] = placeInSource(await lintRun(units)).map((f) => ({ ...f, app: undefined }));
  const format = args.format ?? (args.json ? 'json' : 'text');
  return reportFindings(findings, format, `${files.length} file${files.length === 1 ? '' : 's'}`, io.cwd, {
    result: (text) => void io.stdout.write(redact(text) + '\n'),
    document: (value) => void io.stdout.write(redact(JSON.stringify(value)) + '\n'),
  });
}
