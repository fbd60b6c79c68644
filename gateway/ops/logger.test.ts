import { describe, expect, it } from 'vitest';
import { createLogger, type LoggerOptions } from './logger';

function capture(options: Omit<LoggerOptions, 'stream'> = {}) {
  const lines: string[] = [];
  const logger = createLogger({ now: () => new Date('2026-01-02T03:04:05.678Z'), ...options, stream: { write: (line) => lines.push(line) } });
  const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  return { logger, lines, records };
}

describe('createLogger', () => {
  it('writes one JSON line per event with time, level, msg and fields, in that order', () => {
    const { logger, lines } = capture();
    logger.info('stream opened', { node: 'sidecar-1', protocol: 'delta' });
    expect(lines).toEqual(['{"time":"2026-01-02T03:04:05.678Z","level":"info","msg":"stream opened","node":"sidecar-1","protocol":"delta"}\n']);
  });

  it('drops lines below its level (info by default)', () => {
    const { logger, records } = capture();
    logger.debug('noise');
    logger.info('a');
    logger.warn('b');
    logger.error('c');
    expect(records().map((r) => r.level)).toEqual(['info', 'warn', 'error']);
    const verbose = capture({ level: 'debug' });
    verbose.logger.debug('seen');
    expect(verbose.records()).toHaveLength(1);
    const quiet = capture({ level: 'error' });
    quiet.logger.warn('unseen');
    expect(quiet.records()).toHaveLength(0);
  });

  it('adds base and child fields to every line, the call’s own fields last', () => {
    const { logger, records } = capture({ base: { bridge: 'b-1' } });
    const child = logger.child({ stream: 7 }).child({ node: 'n' });
    child.info('ack', { node: 'override', type: 'clusters' });
    logger.info('plain');
    expect(records()).toEqual([
      expect.objectContaining({ bridge: 'b-1', stream: 7, node: 'override', type: 'clusters' }),
      expect.not.objectContaining({ stream: 7 }),
    ]);
  });

  it('never throws on circular fields', () => {
    const { logger, records } = capture();
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.list = [a, { back: a }];
    expect(() => logger.info('loop', { a })).not.toThrow();
    expect(records()[0]!.a).toEqual({ name: 'a', self: '[Circular]', list: ['[Circular]', { back: '[Circular]' }] });
  });

  it('prints an object that appears twice but is not circular', () => {
    const { logger, records } = capture();
    const shared = { x: 1 };
    logger.info('twice', { first: shared, second: shared });
    expect(records()[0]).toMatchObject({ first: { x: 1 }, second: { x: 1 } });
  });

  it('renders errors with name, message, code, stack and cause', () => {
    const { logger, records } = capture();
    const cause = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    const error = new Error('edge unreachable', { cause });
    (cause as { cause?: unknown }).cause = error; // a cycle through causes
    logger.error('poll failed', { error });
    const logged = records()[0]!.error as Record<string, unknown>;
    expect(logged).toMatchObject({ name: 'Error', message: 'edge unreachable', cause: { message: 'connect ECONNREFUSED', code: 'ECONNREFUSED', cause: '[Circular]' } });
    expect(logged.stack).toMatch(/edge unreachable/);
  });

  it('stringifies bigints and marks functions', () => {
    const { logger, records } = capture();
    logger.info('odd', { big: 2n ** 70n, fn: () => 1 });
    expect(records()[0]).toMatchObject({ big: '1180591620717411303424', fn: '[function]' });
  });

  it('still writes a line when a field cannot be serialised', () => {
    const { logger, records } = capture();
    const hostile = { toJSON: () => { throw new Error('nope'); } };
    const getter = Object.defineProperty({}, 'boom', { enumerable: true, get: () => { throw new Error('nope'); } });
    expect(() => logger.warn('hostile', { hostile })).not.toThrow();
    expect(() => logger.warn('getter', getter)).not.toThrow();
    expect(records()).toEqual([
      { time: '2026-01-02T03:04:05.678Z', level: 'warn', msg: 'hostile', logError: 'fields could not be serialised' },
      { time: '2026-01-02T03:04:05.678Z', level: 'warn', msg: 'getter', boom: '[unreadable]' },
    ]);
  });

  it('never throws when the stream does', () => {
    const logger = createLogger({ stream: { write: () => { throw new Error('EPIPE'); } } });
    expect(() => logger.error('lost')).not.toThrow();
  });

  it('keeps time, level and msg its own', () => {
    const { logger, records } = capture();
    logger.info('real', { msg: 'fake', level: 'error', time: 0 });
    expect(records()[0]).toMatchObject({ level: 'info', msg: 'real', 'field.msg': 'fake', 'field.level': 'error', 'field.time': 0 });
  });

  it('redacts fields named like credentials, at any depth', () => {
    const { logger, lines } = capture();
    logger.info('request', { authorization: 'Bearer xf_1', headers: { Authorization: 'Bearer xf_2' }, xds_token: 'xf_3', adminToken: 'xf_4', tokenFile: '/run/token' });
    expect(lines[0]).not.toMatch(/xf_\d/);
    expect(JSON.parse(lines[0]!)).toMatchObject({ authorization: '[redacted]', headers: { Authorization: '[redacted]' }, tokenFile: '/run/token' });
  });
});
