import { estimateLockMs, type Calibration } from './estimate';
import type { ObservedStatement, TargetRelation } from './trace.types';

const calibration: Calibration = { rows: 50_000, rewriteMsPerByte: 1e-5, scanMsPerByte: 1e-6, indexMsPerRow: 1e-3, bytesPerRow: 80, durationMs: 200 };
const table: TargetRelation = { name: 'public.chargebacks', rows: 1_000_000, bytes: 80_000_000, writesPerSecond: 900, indexes: ['pk', 'idx_utr'], rowsFrom: 'reltuples' };

function statement(overrides: Partial<ObservedStatement>): ObservedStatement {
  return {
    sql: '',
    locks: [],
    rewrites: [],
    scans: [],
    created: [],
    tables: ['public.chargebacks'],
    buildsIndexOn: [],
    truncates: false,
    evidence: { pgLocks: [], relfilenodes: [], seqScans: [], constraints: [], indexes: [], predictedLocks: [], unpredicted: [], observedHow: 'own transaction', scratchMs: 2 },
    ...overrides,
  };
}

describe('the estimated lock time', () => {
  it('a rewrite scales with the table and rebuilds every index; a scan with the bytes; a catalog-only change is what the scratch run took', () => {
    expect(estimateLockMs(statement({ rewrites: ['public.chargebacks'] }), [table], calibration).estimatedLockMs).toBe(2 + 800 + 2000);
    expect(estimateLockMs(statement({ scans: ['public.chargebacks'] }), [table], calibration).estimatedLockMs).toBe(2 + 80);
    expect(estimateLockMs(statement({ scans: ['public.chargebacks'], buildsIndexOn: ['public.chargebacks'] }), [table], calibration).estimatedLockMs).toBe(2 + 1000);
    expect(estimateLockMs(statement({}), [table], calibration)).toEqual({ estimatedLockMs: 2, basis: [{ relation: 'public.chargebacks', rows: 1_000_000, bytes: 80_000_000, cost: 'catalog only', ms: 0 }] });
  });

  it('a table never vacuumed (relpages 0) is sized by its rows at the calibration table’s bytes per row', () => {
    const unvacuumed = { ...table, bytes: 0, indexes: [] };
    expect(estimateLockMs(statement({ rewrites: ['public.chargebacks'] }), [unvacuumed], calibration).estimatedLockMs).toBe(2 + 800);
  });
});
