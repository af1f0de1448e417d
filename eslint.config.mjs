import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '.tools/**', '.data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: 'readonly', console: 'readonly', require: 'readonly', module: 'writable', __dirname: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', setInterval: 'readonly', URL: 'readonly', fetch: 'readonly', AbortController: 'readonly', AbortSignal: 'readonly', performance: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // lazy loading: an ORM, the SQL parser or the TypeScript compiler is loaded only when a run needs it
      '@typescript-eslint/no-require-imports': ['error', { allow: ['^libpg-query$', '^@zdm/migrator/(typeorm|mikro-orm)$', '^@swc/core$', '^pirates$', '^typeorm(/.*)?$', '^@mikro-orm/postgresql$', '^\\./mikro-orm\\.config$', '^\\.\\./dist/main\\.js$', '^\\./cli$', '^@zdm/observability$', '^@zdm/observability/redaction$', '^@zdm/migration-lint$', '^\\./(commands/)?[a-z-]+\\.command$', '^\\./commands/lint-report$', '^\\./config/load-config$', '^\\.\\./run-observer$', '^pino$', '^prom-client$', '^pg-copy-streams$', '^\\./(executor|backup)$', '^node:v8$'] }],
    },
  },
  { files: ['**/*.spec.ts', 'test/**', 'bench/**'], rules: { '@typescript-eslint/no-non-null-assertion': 'off' } },
);
