import type { Env } from '../env';

/** Removes secrets from text: the one place everything that leaves the process goes through. */
export type Redactor = (text: string) => string;

const MASK = '***';
const SECRET_NAME = /PASSWORD|PASSWD|TOKEN|SECRET|_KEY$|^KEY$|WEBHOOK|CREDENTIAL|AUTH/i;
const URL_NAME = /_URL$|^DATABASE_URL$|_DSN$/i;

const PATTERNS: [RegExp, string][] = [
  // a password in a URL: scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/?#@]*):[^\s@/?#]+@/gi, `$1:${MASK}@`],
  // key=value DSNs and query strings
  [/\b(password|passwd|pwd|token|secret|api[_-]?key)=([^\s&;'"]+)/gi, `$1=${MASK}`],
  // Slack tokens
  [/\bxox[abposr]-[A-Za-z0-9-]+/g, `xox*-${MASK}`],
  // Telegram bot tokens, alone or in /bot<token>/ paths
  [/\b\d{6,}:[A-Za-z0-9_-]{30,}\b/g, MASK],
  [/\/bot[^/\s]+/g, `/bot${MASK}`],
  // Slack incoming webhook paths
  [/(hooks\.slack\.com\/services\/)[^\s"']+/g, `$1${MASK}`],
  // HTTP authorization
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/g, `$1 ${MASK}`],
];

/** The secret values an environment holds: secret-looking variables, and the passwords inside URL variables. */
export function secretsOf(env: Env): string[] {
  const secrets: string[] = [];
  for (const [name, value] of Object.entries(env)) {
    if (!value || value.length < 4) continue;
    if (URL_NAME.test(name)) {
      try {
        const url = new URL(value);
        // a password equal to its user name (postgres:postgres) is a local default, not a secret; masking it would mask every "postgres"
        if (url.password && url.password !== url.username) secrets.push(decodeURIComponent(url.password), url.password);
        // a webhook URL is a secret as a whole: its path is the credential
        if (SECRET_NAME.test(name)) secrets.push(value, url.pathname.length > 8 ? url.pathname : '');
      } catch {
        if (SECRET_NAME.test(name)) secrets.push(value);
      }
    } else if (SECRET_NAME.test(name)) {
      secrets.push(value);
    }
  }
  return [...new Set(secrets.filter((s) => s.length >= 4))].sort((a, b) => b.length - a.length);
}

export function createRedactor(env: Env = {}, extraSecrets: string[] = []): Redactor {
  const secrets = [...new Set([...secretsOf(env), ...extraSecrets.filter((s) => s && s.length >= 4)])].sort((a, b) => b.length - a.length);
  return (text) => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join(MASK);
    for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
    return out;
  };
}

/** Redacts every string inside a value (for JSON output and alert payloads). */
export function redactDeep<T>(value: T, redact: Redactor): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) return value.map((v) => redactDeep(v, redact)) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactDeep(v, redact)])) as T;
  }
  return value;
}
