/** oneAtATime: work given concurrently runs one piece at a time, in order, and a failure does not stop the next. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { oneAtATime } from '../../src/core/exclusive';

describe('oneAtATime', () => {
  it('runs concurrent work one piece at a time, in the order given, past failures', async () => {
    const exclusive = oneAtATime();
    let running = 0;
    let most = 0;
    const order: number[] = [];
    const work = (index: number, fail = false) => exclusive(async () => {
      running++;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 5 - index));
      order.push(index);
      running--;
      if (fail) throw new Error(`work ${index} failed`);
      return index;
    });
    const results = await Promise.allSettled([work(0), work(1, true), work(2), work(3)]);
    assert.equal(most, 1);
    assert.deepEqual(order, [0, 1, 2, 3]);
    assert.deepEqual(results.map((result) => result.status), ['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    assert.equal((results[3] as PromiseFulfilledResult<number>).value, 3);
  });
});
