/** Failures kept as messages; past this only counted (a dead channel fails as fast as it is called). */
const KEPT_FAILURES = 1000;

/**
 * Calls a gRPC echo client continuously with a few calls in flight, counting where each landed and what
 * failed. It stops by itself after `maxMs`, so a test that throws before stop() leaves no loop running.
 */
export function continuousCalls(call: (deadlineMs?: number) => Promise<string>, concurrency = 4, maxMs = 120_000) {
  const counts: Record<string, number> = {};
  const failures: string[] = [];
  let failed = 0;
  let total = 0;
  let running = true;
  const deadline = setTimeout(() => (running = false), maxMs);
  deadline.unref();
  const worker = async () => {
    while (running) {
      try {
        const who = await call(5000);
        counts[who] = (counts[who] ?? 0) + 1;
      } catch (err) {
        failed++;
        if (failures.length < KEPT_FAILURES) failures.push(err instanceof Error ? err.message : String(err));
        await sleep(5);
      }
      total++;
    }
  };
  const workers = Array.from({ length: concurrency }, worker);
  return {
    counts,
    failures,
    get failed() {
      return failed;
    },
    get total() {
      return total;
    },
    /** Zeroes the landing counts (to watch a change take over). */
    resetCounts() {
      for (const k of Object.keys(counts)) delete counts[k];
    },
    async stop() {
      running = false;
      clearTimeout(deadline);
      await Promise.all(workers);
    },
  };
}

/** Where n sequential calls land. */
export async function split(call: () => Promise<string>, n: number): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const who = await call();
    counts[who] = (counts[who] ?? 0) + 1;
  }
  return counts;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `check` until it returns a value (not undefined) or the time is up. */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 100): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > until) throw new Error(`not reached within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** A call's outcome, never a rejection: the backend that answered, or the gRPC status code. */
export const settle = (call: Promise<string>): Promise<{ who?: string; code?: number }> => call.then((who) => ({ who }), (err: { code?: number }) => ({ code: err.code }));

/**
 * Calls (100 ms apart) until one lands on `backend`, e.g. after outlier detection ejects another
 * endpoint; returns how many did not land there first. Throws when it never does within the time.
 */
export async function callsUntilLanding(call: () => Promise<string>, backend: string, timeoutMs = 15_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let before = 0;
  while (Date.now() < deadline) {
    const last = await settle(call());
    if (last.who === backend) return before;
    before++;
    await sleep(100);
  }
  throw new Error(`no call landed on ${backend} within ${timeoutMs} ms (${before} calls)`);
}
