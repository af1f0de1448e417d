import type { Rule } from '../rule';

export const ignoreWithoutReason: Rule = {
  id: 'ignore-without-reason',
  severity: 'warning',
  summary: 'An ignore comment must say why',
  check(s) {
    return s.ignores
      .filter((i) => !i.reason)
      .map((i) => ({
        message: `zdm-lint-ignore ${i.rules.join(', ')} gives no reason.`,
        fix: 'Write the reason after a colon: -- zdm-lint-ignore ban-drop-column: the app stopped reading it in release 42.',
      }));
  },
};
