import { PassThrough } from 'node:stream';
import { createRedactor } from '../redaction/redactor';
import { createLogger } from './logger';

function capture(env: Record<string, string>, isTTY: boolean) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
  const logger = createLogger({ env, redactor: createRedactor({ DATABASE_URL: 'postgres://u:pw-s3cret-123@h/db' }), stream, isTTY, bindings: { runId: 'run-7' } });
  return { logger, lines };
}

describe('createLogger', () => {
  it('writes JSON lines off a terminal, each with the run id, app and migration, redacted', () => {
    const { logger, lines } = capture({}, false);
    logger.child({ app: 'payments', migration: '202401150900__create_chargebacks' }).info('failed at postgres://u:pw-s3cret-123@h/db');
    expect(JSON.parse(lines[0])).toMatchObject({ level: 'info', runId: 'run-7', app: 'payments', migration: '202401150900__create_chargebacks', msg: 'failed at postgres://u:***@h/db' });
  });

  it('writes readable lines on a terminal, and LOG_FORMAT=json forces JSON there too', () => {
    const tty = capture({}, true);
    tty.logger.warn('slow statement');
    expect(tty.lines).toEqual(['warn: slow statement']);
    const forced = capture({ LOG_FORMAT: 'json' }, true);
    forced.logger.info('x');
    expect(JSON.parse(forced.lines[0]).msg).toBe('x');
  });
});
