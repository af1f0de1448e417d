import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'dotenv';

export type Env = Readonly<Record<string, string | undefined>>;

export interface LoadedEnv {
  env: Env;
  /** The dotenv files that were found and read, lowest precedence first. */
  files: string[];
}

/**
 * Reads `.env` and `.env.<ENV>` from `dir` and lays the real environment over them:
 * real variables win over `.env.<ENV>`, which wins over `.env`. A missing file is fine.
 * Nothing is written to `process.env`.
 */
export function loadEnv(dir: string, processEnv: Env = process.env): LoadedEnv {
  const files: string[] = [];
  const layers: Record<string, string>[] = [];
  const envName = processEnv.ENV ?? processEnv.NODE_ENV;
  for (const name of ['.env', envName ? `.env.${envName}` : undefined]) {
    if (!name) continue;
    const file = join(dir, name);
    if (!existsSync(file)) continue;
    layers.push(parse(readFileSync(file)));
    files.push(file);
  }
  const env: Record<string, string | undefined> = {};
  for (const layer of layers) Object.assign(env, layer);
  for (const [key, value] of Object.entries(processEnv)) if (value !== undefined) env[key] = value;
  // `.env.<ENV>` may itself set ENV; a second pass would be surprising, so the first answer stands.
  return { env, files };
}

/**
 * A variable's value, or `undefined` when it is unset. A variable that is set but empty (or only
 * blanks) is a mistake, usually a secret that did not reach the process: it is refused by name,
 * never read as "unset".
 */
export function envValue(env: Env, name: string): string | undefined {
  const value = env[name];
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new EmptyVariableError(name);
  return value;
}

/** A variable that is set but empty (exit 2). */
export class EmptyVariableError extends Error {
  readonly exitCode = 2;
  constructor(readonly variable: string) {
    super(`${variable} is set but empty: give it a value, or unset it`);
    this.name = 'EmptyVariableError';
  }
}
