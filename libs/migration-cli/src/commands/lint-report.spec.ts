import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countLine, repositoryRoot, repositoryUrl } from './lint-report';
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

describe('lint text', () => {
  it('links a rule page into the repository a package.json names', () => {
    expect(repositoryUrl({ url: 'git+https://github.com/acme/zdm.git', directory: 'libs/migration-lint' })).toEqual({ url: 'https://github.com/acme/zdm', directory: 'libs/migration-lint' });
    expect(repositoryUrl('github:acme/zdm')).toEqual({ url: 'https://github.com/acme/zdm', directory: '' });
    expect(repositoryUrl('acme/zdm')).toEqual({ url: 'https://github.com/acme/zdm', directory: '' });
    expect(repositoryUrl(undefined)).toBeUndefined();
    expect(repositoryUrl('file:../elsewhere')).toBeUndefined();
  });

  it('counts findings by severity', () => {
    const f = (severity: 'error' | 'warning' | 'info') => ({ severity }) as Parameters<typeof countLine>[0][number];
    expect(countLine([f('error'), f('warning'), f('warning')], '2 files')).toBe('3 findings in 2 files: 1 error, 2 warnings');
    expect(countLine([f('info')], '1 file')).toBe('1 finding in 1 file: 0 errors, 0 warnings, 1 note');
    expect(countLine([], '1 file')).toBe('no findings in 1 file');
  });
});
