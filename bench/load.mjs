// A small closed-loop load generator: `concurrency` workers send requests back to back until
// `total` have completed. Bounded in count, so it always stops by itself.
import { performance } from 'node:perf_hooks';

/**
 * @param {{ name: string, total: number, concurrency: number, request: () => Promise<Response>, expectStatus: number }} opts
 */
export async function measure({ name, total, concurrency, request, expectStatus }) {
  const latencies = new Float64Array(total);
  let issued = 0;
  let failures = 0;
  let bytes = 0;
  const started = performance.now();
  async function worker() {
    while (issued < total) {
      const i = issued++;
      const t0 = performance.now();
      const res = await request();
      const body = await res.arrayBuffer();
      latencies[i] = performance.now() - t0;
      bytes += body.byteLength;
      if (res.status !== expectStatus) failures++;
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - started) / 1000;
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
  return {
    name,
    requests: total,
    concurrency,
    failures,
    rps: total / seconds,
    p50: pct(50),
    p99: pct(99),
    meanBytes: bytes / total,
  };
}
