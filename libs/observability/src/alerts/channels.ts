import type { Env } from '../env';
import { formatAlertText, type AlertEvent } from './alert-event';

/** One alert destination: where to POST and what. */
export interface AlertChannel {
  name: string;
  url: string;
  body(event: AlertEvent): unknown;
}

/** The channels the environment configures: SLACK_WEBHOOK_URL, TELEGRAM_BOT_TOKEN + TELEGRAM_CHAT_ID, ALERT_WEBHOOK_URL. */
export function channelsFrom(env: Env): AlertChannel[] {
  const channels: AlertChannel[] = [];
  if (env.SLACK_WEBHOOK_URL) {
    channels.push({
      name: 'slack',
      url: env.SLACK_WEBHOOK_URL,
      body: (event) => {
        const text = formatAlertText(event);
        return { text, blocks: [{ type: 'section', text: { type: 'mrkdwn', text: text.replace(/^(.*)$/m, '*$1*') } }] };
      },
    });
  }
  if (env.TELEGRAM_BOT_TOKEN && env.TELEGRAM_CHAT_ID) {
    const api = (env.TELEGRAM_API_URL ?? 'https://api.telegram.org').replace(/\/$/, '');
    channels.push({
      name: 'telegram',
      url: `${api}/bot${env.TELEGRAM_BOT_TOKEN}/sendMessage`,
      body: (event) => ({ chat_id: env.TELEGRAM_CHAT_ID, text: formatAlertText(event), disable_web_page_preview: true }),
    });
  }
  if (env.ALERT_WEBHOOK_URL) {
    channels.push({ name: 'webhook', url: env.ALERT_WEBHOOK_URL, body: (event) => ({ ...event, text: formatAlertText(event) }) });
  }
  return channels;
}
