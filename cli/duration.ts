/** A duration as people write it for CI timeouts: `250ms`, `30s`, `5m`, `1h`, or combined like `1m30s`. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;
const PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/y;

/**
 * Milliseconds for a duration string, or an Error saying what is wrong. A bare number is refused
 * (except `0`): `--wait 300` could mean seconds or a revision, so the unit is required.
 */
export function parseDuration(text: string): number | Error {
  const s = text.trim();
  if (s === '0') return 0;
  if (!s) return new Error('empty duration; write e.g. 30s, 5m, 1h or 250ms');
  let total = 0;
  PART.lastIndex = 0;
  while (PART.lastIndex < s.length) {
    const at = PART.lastIndex;
    const m = PART.exec(s);
    if (!m) {
      const hint = /^\d+(\.\d+)?$/.test(s) ? ` (a number needs a unit: ${s}s, ${s}m)` : '';
      return new Error(`"${text}" is not a duration${hint}; write e.g. 30s, 5m, 1h, 250ms or 1m30s${at ? ` (stopped at "${s.slice(at)}")` : ''}`);
    }
    total += Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  }
  return Math.round(total);
}

/** `90000` → `1m30s`, for messages. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = Math.round((ms % 60_000) / 100) / 10;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
