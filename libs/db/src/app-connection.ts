import { resolve } from 'node:path';
import { resolveDatabaseUrl, parseDatabaseUrl, type ConnectionTarget } from './database-url';
import { embeddedUrl, runningEmbeddedPort } from './embedded-postgres';
import { loadEnv, type Env } from './env';
import { DatabaseConfigError } from './errors/database-config.error';

/** The git-ignored folder of the embedded server used when no URL is configured. */
export function defaultEmbeddedDataDir(rootDir: string, env: Env = {}): string {
  return resolve(rootDir, env.EMBEDDED_PG_DIR ?? '.data/pg');
}

/** The database the embedded server gives the apps. */
export const EMBEDDED_DATABASE = 'app';

/**
 * The connection an app uses, resolved synchronously for the plain ORM CLIs
 * (`typeorm -d`, `mikro-orm --config`): its URL variables, else an embedded server that is already
 * running (`pnpm db:start` or a `migrate` command keeps one up).
 */
export function appConnection(app: string, rootDir: string, urlEnv?: string): ConnectionTarget {
  const { env } = loadEnv(rootDir);
  const target = resolveDatabaseUrl(app, env, urlEnv);
  if (target) return target;
  const dataDir = defaultEmbeddedDataDir(rootDir, env);
  const port = runningEmbeddedPort(dataDir);
  if (!port) {
    throw new DatabaseConfigError(
      `no database for ${app}: set DATABASE_URL (or ${urlEnv ?? app.toUpperCase() + '_DATABASE_URL'}), or start the embedded server with \`pnpm db:start\``,
    );
  }
  return { ...parseDatabaseUrl(embeddedUrl(port, EMBEDDED_DATABASE), 'embedded'), source: 'embedded' };
}
