/** A cell: its text, and how it is painted on a terminal (padding is measured on the text alone). */
export type Cell = string | { text: string; paint?: (text: string) => string };

const textOf = (cell: Cell) => (typeof cell === 'string' ? cell : cell.text);

/**
 * Rows as lines with aligned columns, the first row being the header. Trailing empty cells add no
 * spaces; `right` names the columns aligned to the right (numbers, durations).
 */
export function formatTable(rows: Cell[][], options: { indent?: string; right?: number[] } = {}): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, textOf(cell).length)));
  return rows.map((row) => {
    const last = row.reduce((end, cell, i) => (textOf(cell) ? i : end), -1);
    const cells = row.slice(0, last + 1).map((cell, i) => {
      const text = textOf(cell);
      const fill = ' '.repeat(widths[i] - text.length);
      const shown = typeof cell === 'string' || !cell.paint ? text : cell.paint(text);
      if (options.right?.includes(i)) return fill + shown;
      return i === last ? shown : shown + fill;
    });
    return (options.indent ?? '') + cells.join('  ');
  });
}

const two = (n: number) => String(n).padStart(2, '0');

/** A time for people: the local date and minute, and how long ago ("2026-12-01 10:04 (3 h ago)"). */
export function formatWhen(at: Date, now: Date = new Date()): string {
  const local = `${at.getFullYear()}-${two(at.getMonth() + 1)}-${two(at.getDate())} ${two(at.getHours())}:${two(at.getMinutes())}`;
  return `${local} (${ago(now.getTime() - at.getTime())})`;
}

function ago(ms: number): string {
  if (ms < 0) return 'in the future';
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return 'just now';
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  if (days < 60) return `${days} days ago`;
  const months = Math.floor(days / 30);
  if (months < 24) return `${months} months ago`;
  return `${Math.floor(days / 365)} years ago`;
}
