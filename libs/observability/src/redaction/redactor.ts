import type { Env } from '../env';

/** Removes secrets from text: the one place everything that leaves the process goes through. */
export type Redactor = (text: string) => string;

export const MASK = '***';

/** Variable names whose value is a secret as a whole. */
const SECRET_NAME = /PASSWORD|PASSWD|TOKEN|SECRET|PRIVATE|_KEY$|^KEY$|WEBHOOK|CREDENTIAL|AUTHORIZATION|(^|_)AUTH(_|$)/i;
/** Variable names holding a URL whose userinfo may carry a password. */
const URL_NAME = /_URL$|^DATABASE_URL$|_DSN$/i;
/** Database URLs: the user name is shown in errors on purpose (it is what a user checks), only the password is secret. */
const DATABASE_URL_NAME = /DATABASE_URL$|_DSN$/i;
/** Placeholder values: masking them would mask every "true" or "none" in the output. */
const NOT_A_SECRET = new Set(['true', 'false', 'null', 'none', 'undefined', 'yes', 'no', 'on', 'off', 'enabled', 'disabled']);
const SHORTEST_SECRET = 4;

const PATTERNS: [RegExp, string][] = [
  // a password in a URL: scheme://user:password@host (any URL, not only the configured ones)
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):[^\s@/?#]+@/gi, `$1:${MASK}@`],
  // key=value DSNs, query strings and env dumps: password=..., PGPASSWORD=..., access_token=...; quoted values too
  [/\b([A-Za-z0-9_.-]*(?:password|passwd|pwd|token|secret|api[_-]?key))=(?:'[^']*'|"[^"]*"|[^\s&;'"]+)/gi, `$1=${MASK}`],
  // the same keys as JSON fields, as in a driver's or an HTTP client's error dump
  [/("[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key|authorization)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${MASK}"`],
  // Slack tokens (bot, user, app, refresh, legacy)
  [/\bxox[abposr]-[A-Za-z0-9-]+/g, `xox*-${MASK}`],
  // Telegram bot tokens in /bot<token>/ paths, then alone (<bot id>:<35 characters>)
  [/\/bot\d+:[A-Za-z0-9_-]+/g, `/bot${MASK}`],
  [/\b\d{6,}:[A-Za-z0-9_-]{30,}(?![A-Za-z0-9_-])/g, MASK],
  // Slack incoming webhook paths: the path is the credential
  [/(hooks\.slack\.com\/(?:services|workflows|triggers)\/)[^\s"'<>]+/g, `$1${MASK}`],
  // HTTP authorization, as a header line (whatever the scheme) or a bare Bearer/Basic credential
  [/\b(Authorization\s*[:=]\s*(?:(?:Bearer|Basic|Token|Bot)\s+)?)[^\s"',]+/gi, `$1${MASK}`],
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${MASK}`],
];

function tryUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The secret values an environment holds: secret-looking variables, and the credentials inside URL variables. */
export function secretsOf(env: Env): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (URL_NAME.test(name)) {
      const url = tryUrl(value);
      if (url) {
        // a password equal to its user name (postgres:postgres) is a local default, not a secret; masking it would mask every "postgres"
        if (url.password && url.password !== url.username) secrets.push(url.password, safeDecode(url.password));
        // outside database URLs (PUSHGATEWAY_URL=https://token@host), a user name alone is a token
        if (url.username && !url.password && !DATABASE_URL_NAME.test(name)) secrets.push(url.username, safeDecode(url.username));
        // a webhook URL is a secret as a whole: its path is the credential
        if (SECRET_NAME.test(name)) secrets.push(value, url.pathname.length > 8 ? url.pathname : '');
        continue;
      }
    }
    if (SECRET_NAME.test(name)) secrets.push(value);
  }
  return unique(secrets);
}

function unique(secrets: string[]): string[] {
  const kept = secrets.filter((s) => s && s.length >= SHORTEST_SECRET && !NOT_A_SECRET.has(s.toLowerCase()));
  // a secret with a quote or a backslash appears escaped inside JSON lines: mask that spelling too
  const spellings = kept.flatMap((s) => [s, JSON.stringify(s).slice(1, -1)]);
  // longest first, so a secret that contains another is masked whole
  return [...new Set(spellings)].sort((a, b) => b.length - a.length);
}

/**
 * A redactor for this environment: the values of its secrets (wherever they appear), and the
 * shapes of secrets it cannot know (any URL password, DSN password, Slack or Telegram token,
 * Slack webhook path, Authorization header).
 */
export function createRedactor(env: Env = {}, extraSecrets: string[] = []): Redactor {
  const secrets = unique([...secretsOf(env), ...extraSecrets]);
  return (text) => {
    let out = String(text);
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
}

/** Object keys whose string value is a secret whatever it looks like. */
const SECRET_KEY = /(password|passwd|secret|token|api[_-]?key|authorization|credentials?)$/i;

/**
 * Redacts every string inside a value (for JSON output, reports and alert payloads): strings by
 * the redactor, and the whole value of a key that names a secret. Errors become `{ name, message }`
 * (JSON would drop them to `{}`); cycles become "[Circular]".
 */
export function redactDeep<T>(value: T, redact: Redactor): T {
  return walk(value, redact, new WeakSet()) as T;
}

function walk(value: unknown, redact: Redactor, seen: WeakSet<object>): unknown {
  if (typeof value === 'string') return redact(value);
  if (!value || typeof value !== 'object' || value instanceof Date) return value;
  if (seen.has(value)) return '[Circular]';
  seen.add(value);
  try {
    if (value instanceof Error) return { name: value.name, message: redact(value.message) };
    if (Array.isArray(value)) return value.map((v) => walk(v, redact, seen));
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => [key, typeof v === 'string' && v && SECRET_KEY.test(key) ? MASK : walk(v, redact, seen)]),
    );
  } finally {
    seen.delete(value);
  }
}
