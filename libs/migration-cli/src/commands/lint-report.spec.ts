import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repositoryRoot } from './lint-report';

describe('repositoryRoot: the top folder git would print, without starting git', () => {
  let dir: string;
  beforeEach(() => (dir = realpathSync(mkdtempSync(join(tmpdir(), 'zdm-root-')))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  const gitRoot = (cwd: string) => execFileSync('git', ['rev-parse', '--show-toplevel'], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();

  it('the nearest folder upward with a .git repository, as git rev-parse --show-toplevel prints it', () => {
    execFileSync('git', ['init', '-q', dir]);
    const deep = join(dir, 'apps/payments/migrations');
    mkdirSync(deep, { recursive: true });
    expect(repositoryRoot(deep)).toBe(dir);
    expect(repositoryRoot(deep)).toBe(gitRoot(deep));
  });

  it("a worktree's or submodule's .git file marks its root; an empty .git folder or a stray file does not", () => {
    mkdirSync(join(dir, 'outer/.git'), { recursive: true });
    writeFileSync(join(dir, 'outer/.git/HEAD'), 'ref: refs/heads/main\n');
    mkdirSync(join(dir, 'outer/wt/src'), { recursive: true });
    writeFileSync(join(dir, 'outer/wt/.git'), `gitdir: ${join(dir, 'outer/.git/worktrees/wt')}\n`);
    expect(repositoryRoot(join(dir, 'outer/wt/src'))).toBe(join(dir, 'outer/wt'));
    mkdirSync(join(dir, 'outer/empty/.git/objects'), { recursive: true });
    mkdirSync(join(dir, 'outer/stray/x'), { recursive: true });
    writeFileSync(join(dir, 'outer/stray/.git'), 'not a gitdir line\n');
    expect(repositoryRoot(join(dir, 'outer/empty'))).toBe(join(dir, 'outer'));
    expect(repositoryRoot(join(dir, 'outer/stray/x'))).toBe(join(dir, 'outer'));
  });

  it('outside a repository: no root, as git finds none', () => {
    let expected: string | undefined;
    try {
      expected = gitRoot(dir);
    } catch {
      expected = undefined;
    }
    expect(repositoryRoot(dir)).toBe(expected);
  });
});
