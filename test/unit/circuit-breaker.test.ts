import { CircuitBreakerPublisher, type QueuePublisher } from '../../shared/clients/queue.client';

/** A queue service that is down until told otherwise, counting the calls that reach it. */
function flakyQueue(): QueuePublisher & { up: boolean; calls: number } {
  const queue = {
    up: false,
    calls: 0,
    send: async () => {
      queue.calls++;
      if (!queue.up) throw new Error('ECONNREFUSED');
    },
    ping: async () => undefined,
  };
  return queue;
}

describe('the queue circuit breaker', () => {
  test('when a send fails, then the following sends fail at once without calling the queue until the cool-down ends', async () => {
    let now = 1_000_000;
    const queue = flakyQueue();
    const breaker = new CircuitBreakerPublisher(queue, 30_000, () => now);
    await expect(breaker.send('notifications', '{}')).rejects.toThrow('ECONNREFUSED');
    for (let i = 0; i < 5; i++)
      await expect(breaker.send('notifications', '{}')).rejects.toThrow('not calling it for now');
    expect(queue.calls).toBe(1);

    now += 30_001; // cool-down over: the next send probes the queue, still down, and opens again
    await expect(breaker.send('notifications', '{}')).rejects.toThrow('ECONNREFUSED');
    expect(queue.calls).toBe(2);

    queue.up = true;
    now += 30_001;
    await breaker.send('notifications', '{}'); // back: closed again
    await breaker.send('notifications', '{}');
    expect(queue.calls).toBe(4);
  });
});
