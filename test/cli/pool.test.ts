/** The batching helpers behind the bulk redrive's ledger reads. */
import { batches, withLookups } from '../../cli/pool';

async function* stream<T>(items: T[]): AsyncGenerator<T> {
  yield* items;
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

describe('batches and withLookups', () => {
  it('groups a stream, the last group shorter', async () => {
    expect(await collect(batches(stream([1, 2, 3, 4, 5]), 2))).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('pairs each item with its lookup, one call per batch, skipping items without a key, and reads one batch ahead', async () => {
    const calls: string[][] = [];
    let pulled = 0;
    async function* numbers(): AsyncGenerator<number> {
      for (let i = 0; i < 7; i++) {
        pulled = i + 1;
        yield i;
      }
    }
    const lookup = async (keys: string[]) => {
      calls.push(keys);
      return new Map(keys.map((key) => [key, `record ${key}`]));
    };
    const paired = withLookups(numbers(), 3, (n) => (n % 3 === 2 ? undefined : `k${n}`), lookup);
    const first = await paired.next();
    expect(first.value).toEqual([0, 'record k0']);
    // The second batch was read before the first one's items were handed out.
    expect(pulled).toBe(6);
    expect(calls).toEqual([['k0', 'k1'], ['k3', 'k4']]);
    const rest = await collect({ [Symbol.asyncIterator]: () => paired });
    expect(rest).toEqual([[1, 'record k1'], [2, undefined], [3, 'record k3'], [4, 'record k4'], [5, undefined], [6, 'record k6']]);
    expect(calls).toEqual([['k0', 'k1'], ['k3', 'k4'], ['k6']]);
  });
});
