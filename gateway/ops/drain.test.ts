import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { onShutdownSignals, type ShutdownSignal, type SignalSource } from './drain';
import { createLogger } from './logger';

function setup(handler: (signal: ShutdownSignal) => Promise<void>, timeoutMs = 1000) {
  const emitter = new EventEmitter();
  const source: SignalSource = emitter as unknown as SignalSource;
  const exit = vi.fn<(code: number) => void>();
  const lines: string[] = [];
  const logger = createLogger({ stream: { write: (l) => lines.push(l) } });
  const dispose = onShutdownSignals(handler, { timeoutMs, logger, process: source, exit });
  const signal = (name: ShutdownSignal) => emitter.emit(name, name);
  const messages = () => lines.map((l) => JSON.parse(l).msg as string);
  return { emitter, exit, signal, dispose, messages };
}

const deferred = () => {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
};

afterEach(() => {
  vi.useRealTimers();
});

describe('onShutdownSignals', () => {
  it('runs the handler on SIGTERM and exits 0 when it finishes', async () => {
    const done = deferred();
    const handler = vi.fn(() => done.promise);
    const { signal, exit, messages } = setup(handler);
    signal('SIGTERM');
    await vi.waitFor(() => expect(handler).toHaveBeenCalledWith('SIGTERM'));
    expect(exit).not.toHaveBeenCalled();
    done.resolve();
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(messages()).toEqual(['shutting down', 'shutdown complete']);
  });

  it('treats SIGINT like SIGTERM', async () => {
    const handler = vi.fn(async () => {});
    const { signal, exit } = setup(handler);
    signal('SIGINT');
    await vi.waitFor(() => expect(exit).toHaveBeenCalledWith(0));
    expect(handler).toHaveBeenCalledWith('SIGINT');
  });

  it('exits 1 when the handler exceeds the timeout', async () => {
    vi.useFakeTimers();
    const { signal, exit, messages } = setup(() => new Promise(() => {}), 10_000);
    signal('SIGTERM');
    await vi.advanceTimersByTimeAsync(9_999);
    expect(exit).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
    expect(messages()).toContain('shutdown took too long: exiting');
  });

  it('exits 1 when the handler fails, synchronously or not', async () => {
    const rejecting = setup(async () => { throw new Error('flush failed'); });
    rejecting.signal('SIGTERM');
    await vi.waitFor(() => expect(rejecting.exit).toHaveBeenCalledWith(1));
    const throwing = setup(() => { throw new Error('boom'); });
    throwing.signal('SIGTERM');
    await vi.waitFor(() => expect(throwing.exit).toHaveBeenCalledWith(1));
  });

  it('runs the handler once; a second signal forces exit 1 at once', async () => {
    const handler = vi.fn(() => new Promise<void>(() => {}));
    const { signal, exit, messages } = setup(handler);
    signal('SIGTERM');
    await vi.waitFor(() => expect(handler).toHaveBeenCalledTimes(1));
    signal('SIGINT');
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
    expect(handler).toHaveBeenCalledTimes(1);
    expect(messages()).toContain('second shutdown signal: exiting without finishing the drain');
  });

  it('exits only once even if the handler finishes after a forced exit', async () => {
    const done = deferred();
    const { signal, exit } = setup(() => done.promise);
    signal('SIGTERM');
    signal('SIGTERM');
    done.resolve();
    await new Promise((r) => setTimeout(r, 10));
    expect(exit).toHaveBeenCalledExactlyOnceWith(1);
  });

  it('stops listening once disposed', () => {
    const handler = vi.fn(async () => {});
    const { emitter, dispose } = setup(handler);
    expect(emitter.listenerCount('SIGTERM')).toBe(1);
    dispose();
    expect(emitter.listenerCount('SIGTERM')).toBe(0);
    expect(emitter.listenerCount('SIGINT')).toBe(0);
  });
});
