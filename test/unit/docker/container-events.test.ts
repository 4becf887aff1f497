/** ContainerEvents: wakes a wait at the next event or after the fallback; an event nobody waited for is kept; close ends waits. */
import test from 'ava';
import { PassThrough } from 'node:stream';
import { ContainerEvents, WAKE_EVENTS } from '../../../src/docker/container-events.js';

async function opened(): Promise<{ events: ContainerEvents; stream: PassThrough; asked: Record<string, unknown>[] }> {
  const stream = new PassThrough();
  const asked: Record<string, unknown>[] = [];
  const events = await ContainerEvents.open(async (opts) => (asked.push(opts), stream), 'app-1');
  return { events, stream, asked };
}

test('asks the daemon for the state-changing events of that one container (no exec events)', async (t) => {
  const { events, asked } = await opened();
  t.deepEqual(asked[0].filters as Record<string, unknown>, {
    type: ['container'],
    container: ['app-1'],
    event: WAKE_EVENTS,
  });
  t.false(WAKE_EVENTS.some((e) => e.startsWith('exec')));
  t.true(asked[0].abortSignal instanceof AbortSignal);
  events.close();
});

test('next() resolves at the next event, long before its fallback', async (t) => {
  const { events, stream } = await opened();
  const woke = events.next(60_000).then(() => 'event');
  stream.write('{"status":"health_status: healthy"}\n');
  t.is(await Promise.race([woke, new Promise((r) => setTimeout(() => r('fallback'), 5_000))]), 'event');
  events.close();
});

test('next() resolves after its fallback when nothing happens; an event between waits is not lost', async (t) => {
  const { events, stream } = await opened();
  await events.next(5);
  stream.write('{"status":"die"}\n');
  await new Promise((r) => setImmediate(r));
  const woke = events.next(60_000).then(() => 'event');
  t.is(await Promise.race([woke, new Promise((r) => setTimeout(() => r('fallback'), 5_000))]), 'event');
  events.close();
});

test('close() ends a wait at once, aborts the request and destroys the stream; a broken stream is not an error', async (t) => {
  const { events, stream, asked } = await opened();
  const woke = events.next(60_000).then(() => 'closed');
  events.close();
  t.is(await woke, 'closed');
  t.true((asked[0].abortSignal as AbortSignal).aborted);
  t.true(stream.destroyed);
  const again = await opened();
  again.stream.destroy(new Error('socket hang up'));
  await again.events.next(5);
  again.events.close();
  t.pass();
});
