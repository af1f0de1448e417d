import { countLine, repositoryUrl } from './lint-report';

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
