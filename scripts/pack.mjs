#!/usr/bin/env node
// Assembles the one published package, `zdm-migrate`, from the libs' build output and packs it:
//
//   node scripts/pack.mjs [--out <dir>]      (after `pnpm build`; prints the tarball's path)
//
// Each lib's dist/ becomes one folder of the package (libs/backfill/dist -> backfill/, the CLI's at
// cli/), its sources go under src/ for the source maps, and every `@zdm/<lib>` specifier in the
// compiled JavaScript and declarations is rewritten to a relative path. One copy of every module:
// `zdm-migrate/backfill/nest` and the CLI load the same files, so error classes and Nest tokens
// keep their identity. The folders are the subpaths (`zdm-migrate/backfill/nest` is
// backfill/nest/index.js and index.d.ts), so they resolve under `"module": "commonjs"` (node10
// resolution, which ignores `exports`) as well as under `nodenext` (which reads `exports`).
//
// packages/zdm-migrate/package.json holds the manifest (name, peers, bin); the dependencies are
// the libs' own, and the exports are the libs' public entry points.
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';

const ROOT = resolve(import.meta.dirname, '..');
const TEMPLATE = join(ROOT, 'packages/zdm-migrate');
/** lib folder -> the package folder it becomes (the public subpath). */
const FOLDERS = { 'migration-cli': 'cli', db: 'db', migrator: 'migrator', 'migration-lint': 'lint', backfill: 'backfill', observability: 'observability' };

const args = process.argv.slice(2);
const outIndex = args.indexOf('--out');
const out = resolve(outIndex >= 0 ? args[outIndex + 1] : join(ROOT, '.pack'));

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const walk = (dir) => readdirSync(dir, { recursive: true }).map(String).filter((f) => statSync(join(dir, f)).isFile());
const posix = (path) => path.split(sep).join('/');
const fail = (message) => {
  console.error(`pack: ${message}`);
  process.exit(1);
};

const manifest = readJson(join(TEMPLATE, 'package.json'));
const libs = Object.fromEntries(Object.keys(FOLDERS).map((lib) => [lib, readJson(join(ROOT, 'libs', lib, 'package.json'))]));
const folderOf = Object.fromEntries(Object.entries(libs).map(([lib, pkg]) => [pkg.name, FOLDERS[lib]]));

const stage = join(mkdtempSync(join(tmpdir(), 'zdm-pack-')), 'package');
mkdirSync(stage);

// 1. each lib's compiled output (what a current source compiles to: stale files of deleted sources stay behind) and its sources
for (const [lib, folder] of Object.entries(FOLDERS)) {
  const dist = join(ROOT, 'libs', lib, 'dist');
  const src = join(ROOT, 'libs', lib, 'src');
  if (!existsSync(join(dist, 'index.js'))) fail(`libs/${lib} is not built: run pnpm build first`);
  for (const file of walk(src)) {
    if (!/\.ts$/.test(file) || /\.spec\.ts$/.test(file)) continue;
    const base = file.replace(/\.ts$/, '');
    for (const ext of ['.js', '.js.map', '.d.ts']) {
      if (!existsSync(join(dist, base + ext))) fail(`libs/${lib}/dist/${base}${ext} is missing: run pnpm build first`);
      mkdirSync(dirname(join(stage, folder, base + ext)), { recursive: true });
      copyFileSync(join(dist, base + ext), join(stage, folder, base + ext));
    }
    mkdirSync(dirname(join(stage, 'src', folder, file)), { recursive: true });
    copyFileSync(join(src, file), join(stage, 'src', folder, file));
  }
}
// the linter's rule pages, which `lint` links to (found through the package's package.json)
cpSync(join(ROOT, 'libs/migration-lint/docs'), join(stage, 'docs'), { recursive: true });

// 2. `@zdm/<lib>[/<subpath>]` -> a relative path to the file that lib's `exports` names
function target(specifier) {
  const [, scope, name, sub] = /^(@zdm)\/([^/]+)(?:\/(.+))?$/.exec(specifier) ?? [];
  if (!scope) return undefined;
  const pkgName = `${scope}/${name}`;
  const folder = folderOf[pkgName];
  if (!folder) fail(`${specifier}: no lib is named ${pkgName}`);
  if (sub === 'package.json') return 'package.json';
  const entry = libs[Object.keys(FOLDERS).find((lib) => FOLDERS[lib] === folder)].exports?.[sub ? `./${sub}` : '.'];
  const file = typeof entry === 'string' ? entry : entry?.default;
  if (!file?.startsWith('./dist/')) fail(`${specifier}: not in the exports of ${pkgName}`);
  return posix(join(folder, file.slice('./dist/'.length)));
}
const SPECIFIER = /(['"])(@zdm\/[^'"]+)\1/g;
for (const file of walk(stage)) {
  const isJs = file.endsWith('.js') && !file.startsWith('src/');
  const isDts = file.endsWith('.d.ts') && !file.startsWith('src/');
  if (!isJs && !isDts) continue;
  const path = join(stage, file);
  const text = readFileSync(path, 'utf8');
  const rewritten = text.replace(SPECIFIER, (whole, quote, specifier) => {
    const to = target(specifier);
    let rel = posix(relative(dirname(path), join(stage, to)));
    if (!rel.startsWith('.')) rel = `./${rel}`;
    // declarations import without the extension, as the sources do
    if (isDts) rel = rel.replace(/\.js$/, '');
    return `${quote}${rel}${quote}`;
  });
  if (rewritten !== text) writeFileSync(path, rewritten);
}

// 3. the source maps point at the shipped sources: <folder>/x.js.map -> src/<folder>/x.ts
for (const [lib, folder] of Object.entries(FOLDERS)) {
  for (const file of walk(join(stage, folder)).filter((f) => f.endsWith('.js.map'))) {
    const path = join(stage, folder, file);
    const map = readJson(path);
    const original = join(ROOT, 'libs', lib, 'dist', dirname(file));
    map.sources = map.sources.map((s) => {
      const fromSrc = relative(join(ROOT, 'libs', lib, 'src'), resolve(original, s));
      if (fromSrc.startsWith('..')) fail(`${lib}/${file}: a source outside src (${s})`);
      return posix(relative(dirname(path), join(stage, 'src', folder, fromSrc)));
    });
    writeFileSync(path, JSON.stringify(map));
  }
}

// 4. the bin, the readme, the licence
mkdirSync(join(stage, 'bin'));
writeFileSync(join(stage, 'bin/zdm-migrate.js'), "#!/usr/bin/env node\n// The `zdm-migrate` command.\nrequire('../cli/main.js');\n", { mode: 0o755 });
copyFileSync(join(TEMPLATE, 'README.md'), join(stage, 'README.md'));
copyFileSync(join(ROOT, 'LICENSE'), join(stage, 'LICENSE'));

// 5. the manifest: exports from the libs' public entries that are a folder's index or a file of the
// folder by the same name (only those resolve the same way under node10), dependencies from the libs
const exportsMap = {};
const cliSubfolders = [];
for (const [lib, folder] of Object.entries(FOLDERS)) {
  for (const [key, entry] of Object.entries(libs[lib].exports ?? {})) {
    if (key === './package.json') continue;
    const file = (typeof entry === 'string' ? entry : entry.default).slice('./dist/'.length).replace(/\.js$/, '');
    const sub = key === '.' ? '' : key.slice(2);
    if (file !== (sub ? `${sub}/index` : 'index') && file !== sub) continue;
    const subpath = folder === 'cli' ? (sub ? `./${sub}` : '.') : `./${folder}${sub ? `/${sub}` : ''}`;
    exportsMap[subpath] = { types: `./${folder}/${file}.d.ts`, default: `./${folder}/${file}.js` };
    if (folder === 'cli' && sub) {
      // the CLI's own subpaths (`zdm-migrate/nest`) under node10 resolution: a folder of that name
      // whose index re-exports the CLI's file, so there is still one copy of every module
      cliSubfolders.push(sub);
      mkdirSync(join(stage, sub), { recursive: true });
      writeFileSync(join(stage, sub, 'index.js'), `module.exports = require('../cli/${file}.js');\n`);
      writeFileSync(join(stage, sub, 'index.d.ts'), `export * from '../cli/${file}';\n`);
    }
  }
}
exportsMap['./package.json'] = './package.json';

const peers = new Set(Object.keys(manifest.peerDependencies ?? {}));
// the manifest's own: the types the declarations expose (@types/pg), which the libs get from the workspace root
const dependencies = { ...manifest.dependencies };
for (const [lib, pkg] of Object.entries(libs)) {
  for (const [name, version] of Object.entries(pkg.dependencies ?? {})) {
    if (name.startsWith('@zdm/')) continue;
    if (peers.has(name)) fail(`libs/${lib} has ${name} as a dependency, but the package takes it as an optional peer`);
    if (dependencies[name] && dependencies[name] !== version) fail(`${name}: libs ask for ${dependencies[name]} and ${version}`);
    dependencies[name] = version;
  }
  for (const name of Object.keys(pkg.peerDependencies ?? {})) {
    if (!peers.has(name)) fail(`libs/${lib} takes ${name} as a peer: declare it in packages/zdm-migrate/package.json`);
  }
}

const pkg = {
  ...manifest,
  main: './cli/index.js',
  types: './cli/index.d.ts',
  exports: exportsMap,
  files: [...Object.values(FOLDERS), ...cliSubfolders, 'src', 'docs', 'bin', 'README.md', 'LICENSE'],
  dependencies: Object.fromEntries(Object.entries(dependencies).sort(([a], [b]) => a.localeCompare(b))),
};
writeFileSync(join(stage, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);

// 6. nothing left pointing at the workspace, then the tarball
for (const file of walk(stage).filter((f) => /\.(js|d\.ts)$/.test(f) && !f.startsWith('src/'))) {
  if (new RegExp(SPECIFIER.source).test(readFileSync(join(stage, file), 'utf8'))) fail(`${file} still imports a workspace package`);
}
// every package the compiled code requires is a dependency or a peer of the package (pnpm lets it see no other)
const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.peerDependencies ?? {})]);
for (const file of walk(stage).filter((f) => f.endsWith('.js') && !f.startsWith('src/'))) {
  for (const [, specifier] of readFileSync(join(stage, file), 'utf8').matchAll(/require\((?:'|")([^'".][^'"]*)(?:'|")\)/g)) {
    if (specifier.startsWith('node:') || builtinModules.includes(specifier)) continue;
    const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0];
    if (!declared.has(name)) fail(`${file} requires ${specifier}, which is neither a dependency nor a peer of the package`);
  }
}
mkdirSync(out, { recursive: true });
const tarball = join(out, `${pkg.name}-${pkg.version}.tgz`);
rmSync(tarball, { force: true });
execFileSync('pnpm', ['pack', '--pack-destination', out], { cwd: stage, stdio: ['ignore', 'ignore', 'inherit'] });
rmSync(dirname(stage), { recursive: true, force: true });
if (!existsSync(tarball)) fail(`pnpm pack wrote no ${tarball}`);
console.log(tarball);
