#!/usr/bin/env node
// The `zdm-migrate` command. A committed launcher rather than dist/main.js itself, so that pnpm
// can link the bin when the workspace is installed before it is built.
require('../dist/main.js');
