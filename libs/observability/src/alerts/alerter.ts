import type { Env } from '../env';
import { createRedactor, redactDeep, type Redactor } from '../redaction/redactor';
import type { AlertDelivery, AlertEvent } from './alert-event';
import { channelsFrom, type AlertChannel } from './channels';

export interface Alerter {
  readonly channels: string[];
  /** Sends to every channel at once; never throws, never changes the caller's outcome. */
  send(event: AlertEvent): Promise<AlertDelivery[]>;
}

export interface AlerterOptions {
  redactor?: Redactor;
  log?: (line: string) => void;
  /** Per attempt (default 5 s). */
  timeoutMs?: number;
  /** Attempts in all (default 3). */
  retries?: number;
  fetchImpl?: typeof fetch;
}

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const retryable = (status: number) => status === 429 || status >= 500;

async function deliver(channel: AlertChannel, payload: string, options: Required<Omit<AlerterOptions, 'redactor' | 'log'>>): Promise<AlertDelivery> {
  const started = Date.now();
  let last: { status?: number; error?: string } = {};
  for (let attempt = 1; attempt <= options.retries; attempt++) {
    try {
      const response = await options.fetchImpl(channel.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: payload,
        signal: AbortSignal.timeout(options.timeoutMs),
      });
      await response.arrayBuffer().catch(() => undefined);
      if (response.ok) return { channel: channel.name, ok: true, status: response.status, attempts: attempt, ms: Date.now() - started };
      last = { status: response.status, error: `HTTP ${response.status}` };
      if (!retryable(response.status)) return { channel: channel.name, ok: false, ...last, attempts: attempt, ms: Date.now() - started };
    } catch (error) {
      const e = error as Error;
      last = { error: e.name === 'TimeoutError' ? `no answer within ${options.timeoutMs} ms` : e.message };
    }
    if (attempt < options.retries) await sleep(250 * 2 ** (attempt - 1));
  }
  return { channel: channel.name, ok: false, ...last, attempts: options.retries, ms: Date.now() - started };
}

/** Alerts to Slack, Telegram and a generic webhook, configured from the environment. */
export function createAlerter(env: Env, options: AlerterOptions = {}): Alerter {
  const channels = channelsFrom(env);
  const redact = options.redactor ?? createRedactor(env);
  const settings = { timeoutMs: options.timeoutMs ?? 5000, retries: Math.max(1, options.retries ?? 3), fetchImpl: options.fetchImpl ?? fetch };
  return {
    channels: channels.map((c) => c.name),
    async send(event) {
      const deliveries = await Promise.all(channels.map((channel) => deliver(channel, redact(JSON.stringify(redactDeep(channel.body(event), redact))), settings)));
      for (const d of deliveries) {
        // the channel by name only: its URL is a credential
        if (!d.ok) options.log?.(redact(`the ${d.channel} alert was not delivered after ${d.attempts} attempt(s): ${d.error ?? 'failed'}`));
      }
      return deliveries;
    },
  };
}
