import type { Logger } from './logger';

export type ShutdownSignal = 'SIGTERM' | 'SIGINT';

/** The part of `process` this module uses, so tests can emit signals without sending real ones. */
export interface SignalSource {
  on(event: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
  off(event: ShutdownSignal, listener: (signal: ShutdownSignal) => void): unknown;
}

export interface ShutdownOptions {
  /** Longest the handler may take before the process exits 1 anyway. */
  timeoutMs: number;
  logger: Logger;
  /** Default `process`. */
  process?: SignalSource;
  /** Default `process.exit`. */
  exit?: (code: number) => void;
  /** Default SIGTERM (Kubernetes, `docker stop`) and SIGINT (Ctrl-C). */
  signals?: readonly ShutdownSignal[];
}

/**
 * Runs `handler` once on the first shutdown signal, then exits 0 when it resolves, or 1 when it
 * rejects or outlasts `timeoutMs`. A second signal while draining exits 1 at once (an impatient
 * Ctrl-C, or a supervisor that is done waiting). Returns a function that removes the listeners.
 */
export function onShutdownSignals(handler: (signal: ShutdownSignal) => Promise<void>, options: ShutdownOptions): () => void {
  const source = options.process ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
  const { logger, timeoutMs } = options;
  let draining = false;
  let exited = false;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const finish = (code: number) => {
    if (exited) return;
    exited = true;
    clearTimeout(timer);
    exit(code);
  };

  const listener = (signal: ShutdownSignal) => {
    if (draining) {
      logger.warn('second shutdown signal: exiting without finishing the drain', { signal });
      return finish(1);
    }
    draining = true;
    const started = Date.now();
    logger.info('shutting down', { signal, timeoutMs });
    // Deliberately not unref'd: this timer is what guarantees the process ends.
    timer = setTimeout(() => {
      logger.error('shutdown took too long: exiting', { signal, timeoutMs });
      finish(1);
    }, timeoutMs);
    Promise.resolve()
      .then(() => handler(signal))
      .then(
        () => {
          logger.info('shutdown complete', { signal, durationMs: Date.now() - started });
          finish(0);
        },
        (error: unknown) => {
          logger.error('shutdown failed', { signal, error });
          finish(1);
        },
      );
  };

  for (const signal of signals) source.on(signal, listener);
  return () => {
    for (const signal of signals) source.off(signal, listener);
    clearTimeout(timer);
  };
}
