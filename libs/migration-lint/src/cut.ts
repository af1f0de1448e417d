/**
 * Cuts SQL (or any text) to at most `max` characters, never inside a quoted literal or a word:
 * a secret in a statement (`PASSWORD '...'`, a connection string) is a literal or one word, and a
 * part of it is something no redactor recognises. Where the cut would fall inside one, the text
 * is cut before it starts. Redact first where a redactor is at hand; this is for where none is.
 */
export function cutOutsideSecrets(text: string, max: number): string {
  if (text.length <= max) return text;
  let quote: string | undefined;
  let quoteStart = -1;
  for (let i = 0; i < max; i++) {
    const c = text[i];
    if (quote) {
      if (c === quote) {
        if (text[i + 1] === quote) i++;
        else quote = undefined;
      }
    } else if (c === "'" || c === '"') {
      quote = c;
      quoteStart = i;
    }
  }
  let end = quote ? quoteStart : max;
  // inside a word (a URL, a token): back to its start
  if (!quote && !/\s/.test(text[end] ?? ' ')) while (end > 0 && !/\s/.test(text[end - 1])) end--;
  return `${text.slice(0, end).trimEnd()}…`;
}
