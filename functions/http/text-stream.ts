/** Bytes of a streamed body encoded ahead of the reader (a few published chunks of ≤ 1 Mi characters). */
const QUEUE_BYTES = 2 << 20;

/**
 * A response body from texts produced one by one (answers streamed from R2). The queue lets the next
 * texts be read and encoded while the reader takes the last ones, instead of one text per round trip
 * with it; QUEUE_BYTES bounds what it holds. `onEnd` runs once the last text is queued.
 */
export function textStream(texts: AsyncGenerator<string>, onEnd?: () => void): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        const next = await texts.next();
        if (!next.done) return controller.enqueue(encoder.encode(next.value));
        onEnd?.();
        controller.close();
      },
      cancel: async () => void (await texts.return(undefined)),
    },
    new ByteLengthQueuingStrategy({ highWaterMark: QUEUE_BYTES }),
  );
}
