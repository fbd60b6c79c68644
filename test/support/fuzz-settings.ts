/**
 * The fuzz suites' knobs, read from the environment (Node: process.env; workerd: the bindings vitest.config.ts
 * passes through): FUZZ_SEED replays a run (every suite prints the seed it used), FUZZ_RUNS scales the
 * bounded CI run up (1 = the CI size; 10 = ten times as many inputs, kills...).
 */
export interface FuzzSettings {
  seed: number;
  /** Multiplier of each suite's CI-sized counts. */
  scale: number;
}

export function fuzzSettings(source: Record<string, unknown>, suite: string): FuzzSettings {
  const given = typeof source.FUZZ_SEED === 'string' && source.FUZZ_SEED !== '' ? Number(source.FUZZ_SEED) : undefined;
  if (given !== undefined && !Number.isSafeInteger(given)) throw new Error(`FUZZ_SEED must be an integer, not ${String(source.FUZZ_SEED)}`);
  const seed = given ?? (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) >>> 0;
  const runs = typeof source.FUZZ_RUNS === 'string' && source.FUZZ_RUNS !== '' ? Number(source.FUZZ_RUNS) : 1;
  if (!(runs >= 1)) throw new Error(`FUZZ_RUNS must be a number of at least 1, not ${String(source.FUZZ_RUNS)}`);
  console.log(`${suite}: FUZZ_SEED=${seed} FUZZ_RUNS=${runs} (replay with FUZZ_SEED=${seed})`);
  return { seed, scale: runs };
}

/** A small seeded generator (mulberry32) for the plans fast-check does not draw: kill times, writer mixes. */
export function seededRandom(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)), pick: <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]! };
}
