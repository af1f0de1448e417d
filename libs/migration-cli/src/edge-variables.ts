import { ALERT_VARIABLES } from '@zdm/observability/alert-variables';

/** The toolkit's variables read at the edge: set but empty is an error that names the variable, never "unset". */
export const EDGE_VARIABLES = [
  'DATABASE_URL',
  'ENV',
  'DRY_RUN',
  'MIGRATION_LOCK_TIMEOUT',
  'MIGRATION_LOCK_RETRIES',
  'MIGRATION_STATEMENT_WARN',
  'MIGRATION_TIMEOUT',
  'MIGRATION_LOCK_WAIT',
  ...ALERT_VARIABLES,
];
