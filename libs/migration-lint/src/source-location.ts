import { readFileSync } from 'node:fs';
import type { Finding } from './lint';

/** The line of a TypeScript (or compiled) migration a captured statement comes from: where its SQL is written, else its up(). */
export function lineInSource(source: string[], statement: string): number {
  const probe = statement.replace(/\s+/g, ' ').trim().slice(0, 40);
  const written = source.findIndex((line) => line.replace(/\s+/g, ' ').includes(probe));
  if (written >= 0) return written + 1;
  const up = source.findIndex((line) => /\b(async\s+)?up\s*\(/.test(line));
  return up >= 0 ? up + 1 : 1;
}

const IGNORE = /zdm-lint-ignore[ \t]+([a-z0-9-]+(?:[ \t]*,[ \t]*[a-z0-9-]+)*)[ \t]*:[ \t]*\S/;

/** An ignore with a reason in a migration's source: a comment on the query()/addSql() call's line or the line above it. */
export function ignoredInSource(source: string[], line: number, rule: string): boolean {
  return [source[line - 1], source[line - 2]].some((text) => {
    const match = text ? IGNORE.exec(text) : null;
    return Boolean(match && match[1].split(/\s*,\s*/).includes(rule));
  });
}

/**
 * Findings on migration files placed on the line of the source that emits them, without those an
 * ignore comment with a reason covers there. Findings on .sql files keep their own lines.
 */
export function placeInSource<T extends Finding>(findings: T[]): T[] {
  const sources = new Map<string, string[]>();
  const placed: T[] = [];
  for (const f of findings) {
    if (!f.file || f.file.endsWith('.sql')) {
      placed.push(f);
      continue;
    }
    let source = sources.get(f.file);
    if (!source) {
      source = readFileSync(f.file, 'utf8').split('\n');
      sources.set(f.file, source);
    }
    const line = lineInSource(source, f.statement);
    if (!ignoredInSource(source, line, f.rule)) placed.push({ ...f, line });
  }
  return placed;
}
