import { z } from 'zod';
import { parseDuration } from './duration';

const MS = 1_000_000n;

/** A Go-style duration of at least `minMs` milliseconds (Envoy refuses zero where Istio requires ≥1ms). */
export function durationAtLeast(minMs: number) {
  return z.string().superRefine((s, ctx) => {
    const nanos = parseDuration(s);
    if (nanos === undefined) ctx.addIssue({ code: 'custom', message: 'must be a duration such as "5s", "0.5s", "100ms", "1m" or "1h"' });
    else if (nanos < BigInt(minMs) * MS) ctx.addIssue({ code: 'custom', message: minMs >= 1000 ? `must be at least ${minMs / 1000}s` : `must be at least ${minMs}ms` });
  });
}

/** A duration in whole seconds, at least 1s (Envoy counts TCP keepalive times in seconds). */
export const WholeSecondsSchema = z.string().superRefine((s, ctx) => {
  const nanos = parseDuration(s);
  if (nanos === undefined) ctx.addIssue({ code: 'custom', message: 'must be a duration such as "30s", "1m" or "2h"' });
  else if (nanos < 1_000_000_000n || nanos % 1_000_000_000n !== 0n) ctx.addIssue({ code: 'custom', message: 'must be whole seconds, at least 1s: Envoy counts keepalive times in seconds' });
});

/** Istio's int32 counters: 0 means "not set" (Istio's own reading), negatives are refused. */
export const CountSchema = z.int().min(0).max(2_147_483_647);

export const PercentSchema = z.int().min(0).max(100);
