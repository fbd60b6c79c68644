import { expect, it } from 'vitest';
import { textStream } from './text-stream';

const MiB = 2 ** 20;

it('encodes a bounded number of texts ahead of its reader, and stops the producer when the reader cancels', async () => {
  let produced = 0;
  let finished = false;
  const texts = (async function* () {
    try {
      for (let i = 0; i < 20; i++) {
        produced++;
        yield 'x'.repeat(MiB);
      }
    } finally {
      finished = true;
    }
  })();
  let ended = false;
  const reader = textStream(texts, () => (ended = true)).getReader();
  await new Promise((r) => setTimeout(r, 50));
  // Ahead of a reader that reads nothing: about 2 MB queued, not the 20 MB there is.
  expect(produced).toBeGreaterThanOrEqual(2);
  expect(produced).toBeLessThanOrEqual(3);
  const first = await reader.read();
  expect(first.value?.byteLength).toBe(MiB);
  await reader.cancel();
  expect(finished).toBe(true);
  expect(ended).toBe(false);
  expect(produced).toBeLessThan(20);
});

it('passes every text through in order and calls onEnd once', async () => {
  let ends = 0;
  const texts = (async function* () {
    yield '{"a":[';
    for (let i = 0; i < 5; i++) yield `${i ? ',' : ''}${i}`;
    yield ']}';
  })();
  expect(await new Response(textStream(texts, () => ends++)).json()).toEqual({ a: [0, 1, 2, 3, 4] });
  expect(ends).toBe(1);
});
