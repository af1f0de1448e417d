import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freshTimestamp, withConcurrentIndexes } from './generator';

describe('generate: names and index builds', () => {
  it('a new migration was dated before a migration dated ahead of the clock, and so ran out of order', () => {
    const dir = mkdtempSync(join(tmpdir(), 'zdm-gen-'));
    try {
      writeFileSync(join(dir, '203001010900__from_the_future.ts'), '');
      writeFileSync(join(dir, '203001010901__next.ts'), '');
      expect(freshTimestamp(dir, new Date('2026-12-01T10:04:30Z'))).toBe('203001010902');
      expect(freshTimestamp(join(dir, 'none'), new Date('2026-12-01T10:04:30Z'))).toBe('202612011004');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('an index of a live table was built without CONCURRENTLY, in a transaction (MikroORM and TypeORM SQL)', () => {
    expect(withConcurrentIndexes({ up: ['create index "gadgets_label_index" on "gadgets" ("label");'], down: ['drop index "gadgets_label_index";'] })).toEqual({
      up: ['create index CONCURRENTLY "gadgets_label_index" on "gadgets" ("label");'],
      down: ['drop index CONCURRENTLY "gadgets_label_index";'],
      transactional: false,
    });
    expect(withConcurrentIndexes({ up: ['CREATE UNIQUE INDEX IF NOT EXISTS "u" ON "public"."widgets" ("name")'], down: ['DROP INDEX "public"."u"'] })).toEqual({
      up: ['CREATE UNIQUE INDEX CONCURRENTLY IF NOT EXISTS "u" ON "public"."widgets" ("name")'],
      down: ['DROP INDEX CONCURRENTLY "public"."u"'],
      transactional: false,
    });
  });

  it('indexes of a table the same migration creates stay in its transaction', () => {
    const diff = { up: ['CREATE TABLE "widgets" ("id" int)', 'CREATE INDEX "i" ON "widgets" ("id")'], down: ['DROP INDEX "public"."i"', 'DROP TABLE "widgets"'] };
    expect(withConcurrentIndexes(diff)).toEqual({ ...diff, transactional: true });
  });
});
