/**
 * Bounded concurrency over an async stream: at most `concurrency` items in flight, and the stream is
 * only pulled when a slot is free, so memory stays flat however long the stream is. `work` handles its
 * own errors; the stream's errors are thrown once the work in flight has finished.
 */
export async function forEachBounded<T>(
  items: AsyncIterable<T>,
  concurrency: number,
  work: (item: T) => Promise<void>,
  stopped: () => boolean,
): Promise<void> {
  const running = new Set<Promise<void>>();
  try {
    if (stopped()) return;
    for await (const item of items) {
      const task: Promise<void> = work(item).finally(() => running.delete(task));
      running.add(task);
      if (running.size >= concurrency) await Promise.race(running);
      if (stopped()) break;
    }
  } finally {
    // In-flight calls always finish, also when the stream fails, so no ledger write is cut short by us.
    await Promise.allSettled(running);
  }
}

/** Groups a stream into arrays of `size` (the last one shorter). */
export async function* batches<T>(items: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let batch: T[] = [];
  for await (const item of items) {
    batch.push(item);
    if (batch.length >= size) {
      yield batch;
      batch = [];
    }
  }
  if (batch.length > 0) yield batch;
}

/**
 * Each item with what `lookup` found for its key, looked up `size` keys at a time (one BatchGetItem),
 * one batch ahead: the next batch is read while the items of this one are worked on, so a consumer
 * keeps its calls in flight across batch boundaries. Items whose key is undefined are not looked up.
 */
export async function* withLookups<T, R>(
  items: AsyncIterable<T>,
  size: number,
  keyOf: (item: T) => string | undefined,
  lookup: (keys: string[]) => Promise<Map<string, R>>,
): AsyncGenerator<[T, R | undefined]> {
  const read = (batch: T[]) => {
    const keys = batch.map(keyOf).filter((key): key is string => key !== undefined);
    return (keys.length > 0 ? lookup(keys) : Promise.resolve(new Map<string, R>())).then((found) => ({ batch, found }));
  };
  let ahead: ReturnType<typeof read> | undefined;
  for await (const batch of batches(items, size)) {
    const next = read(batch);
    // A failed read ahead is reported when its batch's turn comes, not as an unhandled rejection.
    next.catch(() => undefined);
    if (ahead) yield* pair(await ahead);
    ahead = next;
  }
  if (ahead) yield* pair(await ahead);

  function* pair({ batch, found }: { batch: T[]; found: Map<string, R> }): Generator<[T, R | undefined]> {
    for (const item of batch) {
      const key = keyOf(item);
      yield [item, key === undefined ? undefined : found.get(key)];
    }
  }
}
