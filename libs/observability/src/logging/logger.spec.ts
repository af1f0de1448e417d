import { PassThrough } from 'node:stream';
import { createRedactor } from '../redaction/redactor';
import { createLogger, type LoggerOptions } from './logger';

const env = { DATABASE_URL: 'postgres://u:pw-s3cret-123@h/db', DB_PASSWORD: 'quo"te-pass-1' };

function capture(options: Partial<LoggerOptions> & { isTTY?: boolean } = {}) {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (d) => lines.push(...String(d).split('\n').filter(Boolean)));
  const logger = createLogger({ env: {}, redactor: createRedactor(env), stream, bindings: { runId: 'run-7' }, ...options });
  return { logger, lines, json: () => lines.map((l) => JSON.parse(l)) };
}

describe('createLogger', () => {
  it('writes JSON lines off a terminal, each with the run id, and the app and migration of its child logger', () => {
    const { logger, json } = capture({ isTTY: false });
    logger.info('run started');
    const child = logger.child({ app: 'payments', migration: '202401150900__create_chargebacks' });
    child.info({ durationMs: 12 }, 'applied');
    child.warn('slow');
    expect(json()).toEqual([
      expect.objectContaining({ level: 'info', runId: 'run-7', msg: 'run started', time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) }),
      expect.objectContaining({ level: 'info', runId: 'run-7', app: 'payments', migration: '202401150900__create_chargebacks', durationMs: 12, msg: 'applied' }),
      expect.objectContaining({ level: 'warn', runId: 'run-7', app: 'payments', migration: '202401150900__create_chargebacks', msg: 'slow' }),
    ]);
    expect(json()[0]).not.toHaveProperty('app');
  });

  it('redacts the message, the fields, error stacks and secrets that JSON escapes', () => {
    const { logger, lines, json } = capture({ isTTY: false });
    const error = new Error('connect failed: postgres://u:pw-s3cret-123@h/db');
    logger.error({ err: error, url: 'postgres://u:pw-s3cret-123@h/db', note: 'password is quo"te-pass-1' }, 'failed at postgres://u:pw-s3cret-123@h/db');
    const all = lines.join('\n');
    expect(all).not.toContain('pw-s3cret-123');
    expect(all).not.toContain('quo\\"te-pass-1');
    expect(json()[0]).toMatchObject({ msg: 'failed at postgres://u:***@h/db', url: 'postgres://u:***@h/db', note: 'password is ***', err: { message: 'connect failed: postgres://u:***@h/db' } });
  });

  it('writes readable lines on a terminal, the level in front only when it needs attention', () => {
    const { logger, lines } = capture({ isTTY: true, env: { NO_COLOR: '1' } });
    logger.info({ app: 'payments' }, 'applied 202401150900__create_chargebacks in 12 ms');
    logger.warn('slow statement');
    logger.error('failed at postgres://u:pw-s3cret-123@h/db');
    expect(lines).toEqual(['applied 202401150900__create_chargebacks in 12 ms', 'warn: slow statement', 'error: failed at postgres://u:***@h/db']);
  });

  it('takes the terminal question from the stream when not told', () => {
    const stream = Object.assign(new PassThrough(), { isTTY: true });
    const lines: string[] = [];
    stream.on('data', (d) => lines.push(String(d)));
    createLogger({ env: { NO_COLOR: '1' }, redactor: createRedactor(), stream }).warn('x');
    expect(lines).toEqual(['warn: x\n']);
  });

  it('warnings and errors on a terminal were not coloured, and NO_COLOR is honoured', () => {
    const coloured = capture({ isTTY: true });
    coloured.logger.warn('slow');
    coloured.logger.error('failed');
    coloured.logger.info('applied');
    expect(coloured.lines).toEqual(['\u001b[33mwarn: \u001b[39mslow', '\u001b[31merror: \u001b[39mfailed', 'applied']);
    const forced = capture({ isTTY: false, env: { LOG_FORMAT: 'pretty', FORCE_COLOR: '1' } });
    forced.logger.warn('slow');
    expect(forced.lines).toEqual(['\u001b[33mwarn: \u001b[39mslow']);
    const plain = capture({ isTTY: true, env: { NO_COLOR: '1' } });
    plain.logger.warn('slow');
    expect(plain.lines).toEqual(['warn: slow']);
  });

  it.each([
    ['json', true, 'json'],
    ['pretty', false, 'pretty'],
  ])('LOG_FORMAT=%s wins over the terminal', (format, isTTY, expected) => {
    const { logger, lines } = capture({ env: { LOG_FORMAT: format }, isTTY });
    logger.info('x');
    expect(lines[0].startsWith('{')).toBe(expected === 'json');
  });

  it('writes debug lines only when verbose (or LOG_LEVEL says so)', () => {
    const quiet = capture({ isTTY: false });
    quiet.logger.debug('statement 1 of 3');
    expect(quiet.lines).toEqual([]);
    const verbose = capture({ isTTY: false, verbose: true });
    verbose.logger.debug('statement 1 of 3');
    expect(verbose.json()).toEqual([expect.objectContaining({ level: 'debug', msg: 'statement 1 of 3' })]);
    const errorsOnly = capture({ isTTY: false, verbose: true, env: { LOG_LEVEL: 'error' } });
    errorsOnly.logger.warn('not shown');
    expect(errorsOnly.lines).toEqual([]);
  });
});
