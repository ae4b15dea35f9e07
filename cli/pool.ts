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
