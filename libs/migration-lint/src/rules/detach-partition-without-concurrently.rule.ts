import { nodeOf } from '../nodes';
import { alterCommands, relationName, type Rule } from '../rule';

export const detachPartitionWithoutConcurrently: Rule = {
  id: 'detach-partition-without-concurrently',
  severity: 'error',
  summary: 'DETACH PARTITION without CONCURRENTLY takes ACCESS EXCLUSIVE on the partitioned table',
  check(s, ctx) {
    return alterCommands(s)
      .map(({ subtype, cmd, relation }) => ({ subtype, partition: nodeOf(cmd.def, 'PartitionCmd'), relation }))
      .filter(({ subtype, partition, relation }) => subtype === 'AT_DetachPartition' && !partition?.concurrent && !ctx.isNewTable(relation))
      .map(({ partition, relation }) => ({
        message: `DETACH PARTITION ${relationName(partition?.name)} locks ${relationName(relation)} (every partition's reads and writes) in ACCESS EXCLUSIVE mode until it commits.`,
        fix:
          ctx.pgVersion >= 14
            ? 'DETACH PARTITION ... CONCURRENTLY (PostgreSQL 14+) takes SHARE UPDATE EXCLUSIVE: reads and writes go on. It cannot run in a transaction block: make the migration non-transactional.'
            : 'PostgreSQL 13 has no CONCURRENTLY form: detach in a quiet window with a short lock_timeout (the runner sets one), or upgrade to 14+ and use DETACH PARTITION ... CONCURRENTLY.',
      }));
  },
};
