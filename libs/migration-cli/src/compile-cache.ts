import { enableCompileCache } from 'node:module';

// Imported first by main.ts, before any other module loads: Node keeps the compiled code of every
// module the CLI loads (and the type-stripped code of a migrate.config.ts) in its compile cache
// (NODE_COMPILE_CACHE, else node-compile-cache in the temp folder; NODE_DISABLE_COMPILE_CACHE=1
// turns it off), so a run after the first compiles almost nothing. A cache that can't be written
// leaves the run as it was.
try {
  enableCompileCache();
} catch {
  // an older Node or an unusable cache folder: compiled as before
}
