import type { Env } from '../env';
import type { AlertEvent } from './alert-event';
import { firstErrorLine, formatAlertText } from './alert-text';

/** One alert destination: where to POST what. */
export interface AlertChannel {
  name: string;
  url: string;
  /** What in this channel's address is a credential: masked in everything the alerter logs. */
  secrets: string[];
  body(event: AlertEvent): unknown;
}

/** Slack rejects a section text over 3000 characters, Telegram a message over 4096. */
const SLACK_SECTION_LIMIT = 3000;
const TELEGRAM_MESSAGE_LIMIT = 4096;

const cap = (text: string, limit: number) => (text.length > limit ? `${text.slice(0, limit - 1)}…` : text);

/** Slack mrkdwn reads &, < and > as markup; an error message has them ("<>" in SQL, "&&"). */
const slackEscape = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

function slackBody(event: AlertEvent): unknown {
  const text = formatAlertText(event);
  const lines = formatAlertText({ ...event, ciRunUrl: undefined }).split('\n').map(slackEscape);
  lines[0] = `*${lines[0]}*`;
  if (event.ciRunUrl) lines.push(`<${event.ciRunUrl}|CI run>`);
  return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: cap(lines.join('\n'), SLACK_SECTION_LIMIT) } }] };
}

/** The variables that configure alert channels. */
export const ALERT_VARIABLES = ['SLACK_WEBHOOK_URL', 'TELEGRAM_BOT_TOKEN', 'TELEGRAM_CHAT_ID', 'TELEGRAM_API_URL', 'ALERT_WEBHOOK_URL'] as const;

/** An alert variable that is set but empty: a secret that did not reach the process (exit 2). */
export class EmptyAlertVariableError extends Error {
  readonly exitCode = 2;
  constructor(readonly variable: string) {
    super(`${variable} is set but empty: give it a value, or unset it`);
    this.name = 'EmptyAlertVariableError';
  }
}

/** The channels the environment configures: SLACK_WEBHOOK_URL, TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID (+ TELEGRAM_API_URL), ALERT_WEBHOOK_URL. */
export function channelsFrom(env: Env): AlertChannel[] {
  for (const name of ALERT_VARIABLES) if (env[name] !== undefined && env[name]!.trim() === '') throw new EmptyAlertVariableError(name);
  const channels: AlertChannel[] = [];
  if (env.SLACK_WEBHOOK_URL) {
    channels.push({ name: 'slack', url: env.SLACK_WEBHOOK_URL, secrets: [env.SLACK_WEBHOOK_URL], body: slackBody });
  }
  if (env.TELEGRAM_BOT_TOKEN && env.TELEGRAM_CHAT_ID) {
    const api = (env.TELEGRAM_API_URL || 'https://api.telegram.org').replace(/\/+$/, '');
    const chatId = env.TELEGRAM_CHAT_ID;
    channels.push({
      name: 'telegram',
      url: `${api}/bot${env.TELEGRAM_BOT_TOKEN}/sendMessage`,
      secrets: [env.TELEGRAM_BOT_TOKEN],
      // plain text, no parse_mode: Markdown or HTML would need every error message escaped, and one miss makes Telegram refuse the alert
      body: (event) => ({ chat_id: chatId, text: cap(formatAlertText(event), TELEGRAM_MESSAGE_LIMIT), link_preview_options: { is_disabled: true } }),
    });
  }
  if (env.ALERT_WEBHOOK_URL) {
    channels.push({
      name: 'webhook',
      url: env.ALERT_WEBHOOK_URL,
      secrets: [env.ALERT_WEBHOOK_URL],
      // the event as data for a machine, plus the same text people get
      body: (event) => ({ ...event, ...(event.error !== undefined && { error: firstErrorLine(event.error) }), text: formatAlertText(event) }),
    });
  }
  return channels;
}
