import { execFileSync } from 'node:child_process';
import { basename, extname } from 'node:path';
import { userInfo } from 'node:os';
import { ConfigError } from '@zdm/migrator';
import type { CommandContext } from '../context';

export interface ChecksumOptions {
  accept?: string[];
  lockWait?: string;
}

/** Who accepts an edit, for the run log: the git user's email where git knows one, else the OS user. */
function actor(cwd: string): string {
  try {
    const email = execFileSync('git', ['config', 'user.email'], { cwd, stdio: ['ignore', 'pipe', 'ignore'], timeout: 2000 }).toString().trim();
    if (email) return email;
  } catch {
    // no git, or no user.email: the OS user says who
  }
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

const nameOf = (file: string) => basename(file, extname(file));

/**
 * `checksum --accept <name>...`: an applied migration whose file was edited without changing what
 * it runs (a comment, whitespace) shows `changed`; this records the file's checksum in the run
 * log, with who and when, after which it shows `applied`. It runs no SQL.
 */
export async function checksumCommand(ctx: CommandContext, options: ChecksumOptions): Promise<number> {
  const names = options.accept ?? [];
  if (!names.length) throw new ConfigError('checksum needs --accept <name>: the changed migration whose edit to accept (see `migrate status`)');
  const selected = ctx.apps();
  const owners = [...new Set(names.flatMap((name) => selected.filter((a) => a.files.some((f) => nameOf(f) === name))))];
  const app = selected.length === 1 ? selected[0] : owners.length === 1 ? owners[0] : undefined;
  if (!app) {
    throw new ConfigError(
      owners.length ? `checksum --accept: ${names.join(', ')} belong to several apps (${owners.map((a) => a.name).join(', ')}): accept one app's at a time with --app <name>` : `checksum --accept ${names.join(', ')}: no app has a migration file of that name; see \`migrate status\``,
    );
  }
  const engine = await ctx.engine(ctx.settings(options.lockWait), 'checksum', undefined, [app]);
  const accepted = await engine.acceptChecksums({ app: app.name, migrations: names, actor: actor(ctx.config.rootDir) });
  if (ctx.out.json) ctx.out.document({ accepted });
  else for (const a of accepted) ctx.out.result(`${a.app}/${a.migration}: accepted the edited file as applied (checksum ${a.checksum.slice(0, 12)}, was ${a.previous?.slice(0, 12) ?? 'none'}), by ${a.acceptedBy}`);
  return 0;
}
