// Istio writes durations the Go way ("1.5s", "100ms", "1m30s", "1h"); Envoy's JSON wants seconds ("90s").
const UNITS: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 micro sign
  'μs': 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};
const COMPONENT = /(\d*)(?:\.(\d*))?(ns|us|µs|μs|ms|s|m|h)/y;
const MAX_NANOS = 2n ** 63n - 1n; // Go's time.Duration range

/**
 * Parses a non-negative Go-style duration into nanoseconds (exactly, as a bigint), or `undefined` when
 * the text is not one. A sign is not accepted; `"0"` is, as in Go.
 */
export function parseDuration(text: string): bigint | undefined {
  if (text === '0') return 0n;
  if (text === '') return undefined;
  let total = 0n;
  COMPONENT.lastIndex = 0;
  while (COMPONENT.lastIndex < text.length) {
    const m = COMPONENT.exec(text);
    if (!m) return undefined;
    const [, whole = '', fraction = '', unit = ''] = m;
    if (whole === '' && fraction === '') return undefined;
    const scale = UNITS[unit]!;
    total += BigInt(whole || '0') * scale;
    if (fraction) total += (BigInt(fraction) * scale) / 10n ** BigInt(fraction.length);
    if (total > MAX_NANOS) return undefined;
  }
  return total;
}

/** A valid duration as protobuf JSON for Envoy, e.g. `"1m30s"` → `"90s"`, `"100ms"` → `"0.100s"`. */
export function toProtoDuration(text: string): string {
  const nanos = parseDuration(text);
  if (nanos === undefined) throw new Error(`invalid duration "${text}"`);
  const seconds = nanos / 1_000_000_000n;
  const rest = nanos % 1_000_000_000n;
  if (rest === 0n) return `${seconds}s`;
  // proto3 JSON uses 3, 6 or 9 fractional digits.
  const digits = rest % 1_000_000n === 0n ? 3 : rest % 1_000n === 0n ? 6 : 9;
  return `${seconds}.${rest.toString().padStart(9, '0').slice(0, digits)}s`;
}

/** A valid duration in milliseconds (fractional below a millisecond). */
export function durationToMillis(text: string): number {
  const nanos = parseDuration(text);
  if (nanos === undefined) throw new Error(`invalid duration "${text}"`);
  return Number(nanos) / 1e6;
}
