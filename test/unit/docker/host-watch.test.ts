/**
 * HostWatch: what `stack daemon` keeps of a host between runs. The stream is asked from two seconds before the ping's
 * Date; a list is kept only when asked with the stream open and nothing came meanwhile; any event drops the lists
 * except an exec's past the replay's reach; once the host is quiet after events the lists are read again, once per
 * burst; the end of the stream drops everything; only unix sockets are watched, and only once watchHosts() was
 * called.
 */
import test from 'ava';
import { PassThrough } from 'node:stream';
import { endHostWatches, HostWatch, hostWatchFor, listKey, watchHosts } from '../../../src/docker/host-watch.js';

const DATE = 'Mon, 07 Dec 2026 15:00:10 GMT';
const DATE_S = Date.parse(DATE) / 1000;

async function opened(
  refillAfterMs?: number,
): Promise<{ watch: HostWatch<string>; stream: PassThrough; asked: Record<string, unknown>[] }> {
  const stream = new PassThrough();
  const asked: Record<string, unknown>[] = [];
  const watch = new HostWatch<string>(undefined, refillAfterMs);
  await watch.open(async (opts) => (asked.push(opts), stream), DATE, 'v1.41');
  return { watch, stream, asked };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const event = (action: string, atS: number) =>
  `${JSON.stringify({ Type: 'container', Action: action, timeNano: atS * 1e9 })}\n`;

test("the stream is asked from two seconds before the ping's Date, and the version is kept while it is open", async (t) => {
  const { watch, asked } = await opened();
  t.is(asked[0].since, String(DATE_S - 2));
  t.true(asked[0].abortSignal instanceof AbortSignal);
  t.is(watch.knownVersion, 'v1.41');
  watch.end();
});

test('a list asked with the stream open and nothing after is kept, and handed out as a copy', async (t) => {
  const { watch } = await opened();
  const key = listKey('containers', {});
  watch.keep(key, watch.ticket(), [{ Id: 'a', Labels: { x: '1' } }]);
  const first = watch.take<{ Id: string; Labels: Record<string, string> }[]>(key)!;
  t.deepEqual(first, [{ Id: 'a', Labels: { x: '1' } }]);
  first[0].Labels.x = 'changed by a run';
  t.deepEqual(watch.take(key), [{ Id: 'a', Labels: { x: '1' } }], 'what a run does to its copy is not kept');
  watch.end();
});

test('a list asked before the stream opened, or across an event, is not kept', async (t) => {
  const before = new HostWatch<string>();
  t.is(before.ticket(), undefined);
  before.keep('k', before.ticket(), ['x']);
  t.is(before.take('k'), undefined);

  const { watch, stream } = await opened();
  const ticket = watch.ticket();
  stream.write(event('die', DATE_S + 30));
  await tick();
  watch.keep('k', ticket, ['stale']);
  t.is(watch.take('k'), undefined, 'the event came while the list was asked');
  watch.end();
});

test('a change drops the lists; an exec (a healthcheck probe) or a Swarm service update does not, except within the replay', async (t) => {
  const { watch, stream } = await opened();
  watch.keep('k', watch.ticket(), ['x']);
  stream.write(event('exec_create: /bin/sh -c true', DATE_S + 30));
  stream.write(event('exec_start: /bin/sh -c true', DATE_S + 30));
  stream.write(event('exec_die', DATE_S + 30));
  await tick();
  t.deepEqual(watch.take('k'), ['x'], 'probes change nothing a list shows');

  stream.write(`${JSON.stringify({ Type: 'service', Action: 'update', timeNano: (DATE_S + 30) * 1e9 })}\n`);
  await tick();
  t.deepEqual(watch.take('k'), ['x'], "a Swarm manager's service update is in no list");

  stream.write(event('health_status: unhealthy', DATE_S + 31));
  await tick();
  t.is(watch.take('k'), undefined);

  watch.keep('k', watch.ticket(), ['y']);
  stream.write(event('exec_start: sh', DATE_S));
  await tick();
  t.is(watch.take('k'), undefined, 'an exec the replay may have brought among lost events drops them');
  watch.end();
});

test('an event split across chunks, or a line that is not JSON, still drops the lists', async (t) => {
  const { watch, stream } = await opened();
  watch.keep('k', watch.ticket(), ['x']);
  const line = event('destroy', DATE_S + 30);
  stream.write(line.slice(0, 10));
  await tick();
  t.deepEqual(watch.take('k'), ['x'], 'half a line is not yet an event');
  stream.write(line.slice(10));
  await tick();
  t.is(watch.take('k'), undefined);
  watch.keep('k', watch.ticket(), ['y']);
  stream.write('garbage\n');
  await tick();
  t.is(watch.take('k'), undefined);
  watch.end();
});

test('the end or failure of the stream drops the lists and the version, for good', async (t) => {
  for (const finish of [(s: PassThrough) => s.end(), (s: PassThrough) => s.destroy(new Error('reset'))]) {
    const { watch, stream } = await opened();
    watch.keep('k', watch.ticket(), ['x']);
    finish(stream);
    stream.resume();
    await new Promise((resolve) => setTimeout(resolve, 10));
    t.is(watch.take('k'), undefined);
    t.is(watch.knownVersion, undefined);
    t.is(watch.ticket(), undefined);
  }
});

test('a stream that cannot be opened, or a ping without a Date, keeps nothing', async (t) => {
  const failed = new HostWatch<string>();
  await failed.open(async () => Promise.reject(new Error('refused')), DATE, 'v1.41');
  t.is(failed.ticket(), undefined);
  t.is(failed.knownVersion, undefined);

  let asked = 0;
  const undated = new HostWatch<string>();
  await undated.open(async () => (asked++, new PassThrough()), undefined, 'v1.41');
  t.is(asked, 0);
  t.is(undated.ticket(), undefined);
});

test('only `stack daemon` watches, only hosts on a unix socket, one watch per socket until it ends', (t) => {
  const unix = { kind: 'unix', path: '/run/h1/docker.sock' } as const;
  t.is(hostWatchFor(unix), undefined, 'a process of its own reads every host');
  watchHosts();
  try {
    const w = hostWatchFor(unix);
    t.truthy(w);
    t.is(hostWatchFor(unix), w);
    t.is(hostWatchFor({ kind: 'tcp', host: '10.0.0.1', port: 2376, tls: false }), undefined);
    t.is(hostWatchFor({ kind: 'ssh', user: 'root', host: '10.0.0.1', port: 22 } as never), undefined);
    w!.end();
    t.not(hostWatchFor(unix), w, 'an ended watch is replaced');
  } finally {
    endHostWatches();
  }
  t.is(hostWatchFor(unix), undefined);
});

test('once the host is quiet after a burst of events, the lists are read again once, and kept for the next run', async (t) => {
  const { watch, stream } = await opened(30);
  let reads = 0;
  watch.keep('k', watch.ticket(), ['v0'], async () => [`v${++reads}`]);
  for (let i = 0; i < 5; i++) stream.write(event('start', DATE_S + 30 + i));
  await tick();
  t.is(watch.take('k'), undefined, 'dropped at once');
  await new Promise((resolve) => setTimeout(resolve, 150));
  t.is(reads, 1, 'one read for the burst');
  t.deepEqual(watch.take('k'), ['v1']);
  watch.end();
});

test('a refill that an event overtakes is not kept, and one that fails leaves the list to the next run', async (t) => {
  const { watch, stream } = await opened(10);
  let release: () => void = () => undefined;
  watch.keep('k', watch.ticket(), ['v0'], () => new Promise((resolve) => (release = () => resolve(['slow']))));
  stream.write(event('die', DATE_S + 30));
  await new Promise((resolve) => setTimeout(resolve, 60));
  stream.write(event('destroy', DATE_S + 31));
  await tick();
  release();
  await tick();
  t.is(watch.take('k'), undefined, 'read across an event');

  const failing = await opened(10);
  failing.watch.keep('k', failing.watch.ticket(), ['v0'], () => Promise.reject(new Error('host gone')));
  failing.stream.write(event('die', DATE_S + 30));
  await new Promise((resolve) => setTimeout(resolve, 60));
  t.is(failing.watch.take('k'), undefined);
  watch.end();
  failing.watch.end();
});

test("the replay's reach counts from the stream's own Date when it answers later than the ping", async (t) => {
  const stream = Object.assign(new PassThrough(), { headers: { date: 'Mon, 07 Dec 2026 15:00:20 GMT' } });
  const watch = new HostWatch<string>();
  await watch.open(async () => stream, DATE, 'v1.41');
  watch.keep('k', watch.ticket(), ['x']);
  stream.write(event('exec_start: sh', DATE_S + 11));
  await tick();
  t.is(watch.take('k'), undefined, 'an exec logged before the stream opened may be a replayed one');
  watch.keep('k', watch.ticket(), ['y']);
  stream.write(event('exec_start: sh', DATE_S + 13));
  await tick();
  t.deepEqual(watch.take('k'), ['y'], 'two seconds past the Date, a live one');
  watch.end();
});
