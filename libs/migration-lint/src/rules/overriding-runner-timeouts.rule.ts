import type { Rule } from '../rule';
import { runnerSettingsChanged } from '../statement-kinds';

export const overridingRunnerTimeouts: Rule = {
  id: 'overriding-runner-timeouts',
  severity: 'warning',
  summary: 'A migration that sets lock_timeout or statement_timeout itself',
  check(s) {
    const settings = runnerSettingsChanged(s.kind, s.node);
    if (!settings.length) return [];
    return [
      {
        message: `The migration sets ${settings.join(', ')}: the runner sets its own limits again before every statement, so this has no effect on the statements that follow; with a plain ORM CLI it would switch the lock-queue safety off.`,
        fix: 'Delete the SET. For other limits, declare them on the migration class: `lockTimeoutMs`, `lockRetries`, `statementTimeoutMs`, `timeoutMs`.',
      },
    ];
  },
};
