import { describe, expect, it } from 'vitest';
import { durationToMillis, parseDuration, toProtoDuration } from './duration';

describe('durations', () => {
  it('parses Go-style durations exactly', () => {
    expect(parseDuration('1.5s')).toBe(1_500_000_000n);
    expect(parseDuration('1h2m3.25s')).toBe(3_723_250_000_000n);
    expect(parseDuration('250µs')).toBe(250_000n);
    expect(parseDuration('.5ms')).toBe(500_000n);
    expect(parseDuration('0')).toBe(0n);
  });

  it.each(['', '5', '-1s', '+1s', '1d', '1 s', '.s', 's', '1.5'])('refuses %j', (text) => {
    expect(parseDuration(text)).toBeUndefined();
  });

  it('renders protobuf JSON durations for Envoy', () => {
    expect(toProtoDuration('1m30s')).toBe('90s');
    expect(toProtoDuration('100ms')).toBe('0.100s');
    expect(toProtoDuration('1.000001s')).toBe('1.000001s');
    expect(toProtoDuration('5ns')).toBe('0.000000005s');
    expect(durationToMillis('0.5s')).toBe(500);
  });
});
