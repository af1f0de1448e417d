/** @type {import('jest').Config} */
const swc = ['@swc/jest', {
  jsc: {
    parser: { syntax: 'typescript', decorators: true },
    transform: { legacyDecorator: true, decoratorMetadata: true },
    target: 'es2023',
  },
  module: { type: 'commonjs' },
}];

module.exports = {
  testEnvironment: 'node',
  rootDir: __dirname,
  roots: ['<rootDir>/libs', '<rootDir>/apps', '<rootDir>/test'],
  testMatch: ['**/*.spec.ts'],
  testPathIgnorePatterns: ['/node_modules/', '/dist/'],
  transform: { '^.+\\.ts$': swc },
  // the workspace packages resolve to their sources in tests, so no build is needed first
  moduleNameMapper: {
    '^@zdm/migrator/typeorm$': '<rootDir>/libs/migrator/src/adapters/typeorm.adapter',
    '^@zdm/migrator/mikro-orm$': '<rootDir>/libs/migrator/src/adapters/mikro-orm.adapter',
    '^@zdm/backfill/nest$': '<rootDir>/libs/backfill/src/nest',
    '^@zdm/observability/nest$': '<rootDir>/libs/observability/src/nest',
    '^@zdm/migration-cli/nest$': '<rootDir>/libs/migration-cli/src/nest',
    '^@zdm/observability/redaction$': '<rootDir>/libs/observability/src/redaction/redactor',
    '^@zdm/observability/logging$': '<rootDir>/libs/observability/src/logging',
    '^@zdm/observability/alert-variables$': '<rootDir>/libs/observability/src/alerts/channels',
    '^@zdm/migrator/module-loader$': '<rootDir>/libs/migrator/src/module-loader',
    '^@zdm/migrator/config-error$': '<rootDir>/libs/migrator/src/errors/config.error',
    '^@zdm/migrator/backup$': '<rootDir>/libs/migrator/src/backup',
    '^@zdm/db/env$': '<rootDir>/libs/db/src/env',
    '^@zdm/(db|migrator|migration-cli|migration-lint|backfill|observability)$': '<rootDir>/libs/$1/src',
  },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  testTimeout: 60_000,
  maxWorkers: 2,
};
