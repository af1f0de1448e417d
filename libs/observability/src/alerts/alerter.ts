import { retry, type RetryFailure } from '@zdm/db';
import type { Env } from '../env';
import { createRedactor, redactDeep, type Redactor } from '../redaction/redactor';
import type { AlertDelivery, AlertEvent } from './alert-event';
import { channelsFrom, type AlertChannel } from './channels';

export interface Alerter {
  /** The configured channels by name (slack, telegram, webhook); empty when none is. */
  readonly channels: string[];
  /** Sends to every channel at once; never throws, never changes the caller's outcome. */
  send(event: AlertEvent): Promise<AlertDelivery[]>;
}

export interface AlerterOptions {
  /** Default: a redactor built from the same env. The channels' own URLs and tokens are masked in any case. */
  redactor?: Redactor;
  /** Where a channel that failed is reported, one redacted line naming the channel. */
  log?: (line: string) => void;
  /** Per attempt (default 5000 ms). */
  timeoutMs?: number;
  /** Attempts in all, the first included (default 3). */
  retries?: number;
  fetchImpl?: typeof fetch;
}

interface DeliverySettings {
  timeoutMs: number;
  retries: number;
  fetchImpl: typeof fetch;
}

const BACKOFF_BASE_MS = 250;
/** A Retry-After longer than this is cut: the run waits for its alerts before it exits. */
const RETRY_AFTER_CAP_MS = 5000;

/** 408 and 429 are the receiver asking to try later; 5xx is the receiver failing. Other 4xx will fail again. */
const retryableStatus = (status: number) => status === 408 || status === 429 || status >= 500;

/** One attempt that did not deliver: the receiver's answer, or why there was none. */
class AttemptFailed extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** Exponential, with jitter so that several runs alerting at once do not retry in step. */
function backoffMs(attempt: number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(retryAfterMs, RETRY_AFTER_CAP_MS);
  const base = BACKOFF_BASE_MS * 2 ** (attempt - 1);
  return Math.round(base / 2 + (Math.random() * base) / 2);
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}

/** fetch says "fetch failed" and hides the reason (ECONNREFUSED, ENOTFOUND...) in its cause. */
function describeFailure(error: unknown, timeoutMs: number): string {
  const e = error as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `no answer within ${timeoutMs} ms`;
  const cause = e?.cause?.message ?? e?.cause?.code;
  return cause ? `${e.message}: ${cause}` : String(e?.message ?? e);
}

async function deliver(channel: AlertChannel, payload: string, settings: DeliverySettings): Promise<AlertDelivery> {
  const started = Date.now();
  const done = (result: Omit<AlertDelivery, 'channel' | 'ms'>): AlertDelivery => ({ channel: channel.name, ...result, ms: Date.now() - started });
  if (!URL.canParse(channel.url)) return done({ ok: false, error: 'its URL is not a valid URL', attempts: 0 });
  try {
    const { value: status, state } = await retry(
      async () => {
        let response: Response;
        try {
          response = await settings.fetchImpl(channel.url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: payload,
            signal: AbortSignal.timeout(settings.timeoutMs),
          });
        } catch (error) {
          throw new AttemptFailed(describeFailure(error, settings.timeoutMs));
        }
        // read the answer so the connection is released; its content does not matter
        await response.arrayBuffer().catch(() => undefined);
        if (!response.ok) throw new AttemptFailed(`HTTP ${response.status}`, response.status, retryAfterMs(response.headers.get('retry-after')));
        return response.status;
      },
      {
        attempts: settings.retries,
        retryable: (error) => (error as AttemptFailed).status === undefined || retryableStatus((error as AttemptFailed).status!),
        delay: (attempt, error) => backoffMs(attempt, (error as AttemptFailed).retryAfterMs),
      },
    );
    return done({ ok: true, status, attempts: state.attempts });
  } catch (failure) {
    const { error, state } = failure as RetryFailure;
    const last = error as AttemptFailed;
    return done({ ok: false, ...(last.status !== undefined && { status: last.status }), error: last.message, attempts: state.attempts });
  }
}

/** Alerts to Slack, Telegram and a generic webhook, as configured by the environment. */
export function createAlerter(env: Env, options: AlerterOptions = {}): Alerter {
  const channels = channelsFrom(env);
  const base = options.redactor ?? createRedactor(env);
  // the channels' URLs and tokens are credentials, even when the caller's redactor was built from another env
  const channelSecrets = createRedactor({}, channels.flatMap((c) => [c.url, ...c.secrets]));
  const redact: Redactor = (text) => channelSecrets(base(text));
  const settings: DeliverySettings = {
    timeoutMs: options.timeoutMs ?? 5000,
    retries: Math.max(1, Math.floor(options.retries ?? 3)),
    fetchImpl: options.fetchImpl ?? fetch,
  };
  const log = (line: string) => {
    try {
      options.log?.(line);
    } catch {
      // a broken log sink must not turn an alert into a failure of the run
    }
  };

  async function sendTo(channel: AlertChannel, event: AlertEvent): Promise<AlertDelivery> {
    const started = Date.now();
    let delivery: AlertDelivery;
    try {
      // redact, then cut: the event is redacted before a channel caps its text; the payload as a
      // whole through the redactor too: JSON escaping must not hide a secret from it
      const payload = redact(JSON.stringify(redactDeep(channel.body(redactDeep(event, redact)), redact)));
      delivery = await deliver(channel, payload, settings);
    } catch (error) {
      delivery = { channel: channel.name, ok: false, error: String((error as Error)?.message ?? error), attempts: 0, ms: Date.now() - started };
    }
    if (delivery.error) delivery.error = redact(delivery.error.split(channel.url).join(`the ${channel.name} URL`));
    // the channel by name only: its URL is a credential
    if (!delivery.ok) log(redact(`the ${channel.name} alert was not delivered after ${delivery.attempts} attempt(s): ${delivery.error ?? 'failed'}`));
    return delivery;
  }

  return {
    channels: channels.map((c) => c.name),
    send: (event) => Promise.all(channels.map((channel) => sendTo(channel, event))),
  };
}
