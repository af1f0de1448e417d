import type { Rule } from '../rule';
import { addingRequiredField } from './adding-required-field.rule';
import { addingVolatileDefault } from './adding-volatile-default.rule';
import { banDropColumn } from './ban-drop-column.rule';
import { banDropTable } from './ban-drop-table.rule';
import { changingColumnType } from './changing-column-type.rule';
import { concurrentlyInTransaction } from './concurrently-in-transaction.rule';
import { constraintMissingNotValid } from './constraint-missing-not-valid.rule';
import { detachPartitionWithoutConcurrently } from './detach-partition-without-concurrently.rule';
import { disallowedUniqueConstraint } from './disallowed-unique-constraint.rule';
import { ignoreWithoutReason } from './ignore-without-reason.rule';
import { renamingColumn } from './renaming-column.rule';
import { renamingTable } from './renaming-table.rule';
import { requireConcurrentIndexCreation } from './require-concurrent-index-creation.rule';
import { requireConcurrentIndexDeletion } from './require-concurrent-index-deletion.rule';
import { settingNotNull } from './setting-not-null.rule';
import { transactionControlInMigration } from './transaction-control-in-migration.rule';
import { overridingRunnerTimeouts } from './overriding-runner-timeouts.rule';
import { banTruncate } from './ban-truncate.rule';
import { banVacuumFullCluster } from './ban-vacuum-full-cluster.rule';
import { requireConcurrentReindex } from './require-concurrent-reindex.rule';
import { banLockTable } from './ban-lock-table.rule';
import { addingStoredGeneratedColumn } from './adding-stored-generated-column.rule';
import { addingSerialOrIdentityColumn } from './adding-serial-or-identity-column.rule';
import { domainConstraintMissingNotValid } from './domain-constraint-missing-not-valid.rule';
import { banDropDatabase } from './ban-drop-database.rule';
import { validateInSameTransaction } from './validate-in-same-transaction.rule';
import { ddlWithBackfillInTransaction } from './ddl-with-backfill-in-transaction.rule';
import { enumValueUsedInSameTransaction } from './enum-value-used-in-same-transaction.rule';
import { dropAndAddSameColumn } from './drop-and-add-same-column.rule';

export const ALL_RULES: Rule[] = [
  requireConcurrentIndexCreation,
  requireConcurrentIndexDeletion,
  concurrentlyInTransaction,
  transactionControlInMigration,
  overridingRunnerTimeouts,
  addingRequiredField,
  settingNotNull,
  constraintMissingNotValid,
  disallowedUniqueConstraint,
  detachPartitionWithoutConcurrently,
  changingColumnType,
  renamingColumn,
  renamingTable,
  addingVolatileDefault,
  banDropColumn,
  banDropTable,
  banTruncate,
  banVacuumFullCluster,
  requireConcurrentReindex,
  banLockTable,
  addingStoredGeneratedColumn,
  addingSerialOrIdentityColumn,
  domainConstraintMissingNotValid,
  banDropDatabase,
  validateInSameTransaction,
  ddlWithBackfillInTransaction,
  enumValueUsedInSameTransaction,
  dropAndAddSameColumn,
  ignoreWithoutReason,
];
