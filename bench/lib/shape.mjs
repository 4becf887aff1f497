/**
 * The shape of one cold apply, from the calls bench/lib/call-recorder.mjs recorded in the peer's process (issue 20):
 * not how long it took but where the time went — before the first Engine write, the writes' span, after the last;
 * per host how many writes were in flight on average, how long the host had none in flight while the run was
 * writing, and when it finished; per container the time from its create being sent to its start being answered.
 * Pure: calls in, numbers out.
 */

/** An Engine write: not a GET/HEAD, to a daemon (a unix socket: its target is the host's name). */
const isEngine = (c, hosts) => hosts.includes(c.target);
const isWrite = (c) => c.method !== 'GET' && c.method !== 'HEAD';
const kindOf = (c) => {
  const p = c.path.split('?')[0].replace(/^\/v[0-9.]+/, '');
  if (/^\/containers\/create$/.test(p)) return 'container.create';
  if (/^\/containers\/[^/]+\/start$/.test(p)) return 'container.start';
  if (/^\/networks\/create$/.test(p)) return 'network.create';
  if (/^\/volumes\/create$/.test(p)) return 'volume.create';
  return `${c.method} ${p.replace(/\/containers\/[^/]+\//, '/containers/X/')}`;
};
const containerOf = (c) => {
  const p = c.path.split('?')[0];
  const start = /\/containers\/([^/]+)\/start$/.exec(p);
  if (start) return decodeURIComponent(start[1]);
  const create = /[?&]name=([^&]+)/.exec(c.path);
  return create ? decodeURIComponent(create[1]) : undefined;
};

/** Time (ms) within [from, to] covered by at least one of the intervals, and the integral of their count. */
export function coverage(intervals, from, to) {
  const edges = [];
  for (const [s, e] of intervals) {
    const a = Math.max(s, from);
    const b = Math.min(e, to);
    if (b > a) edges.push([a, 1], [b, -1]);
  }
  edges.sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let depth = 0;
  let last = from;
  let busy = 0;
  let area = 0;
  let peak = 0;
  for (const [t, d] of edges) {
    if (depth > 0) busy += t - last;
    area += depth * (t - last);
    depth += d;
    peak = Math.max(peak, depth);
    last = t;
  }
  return { busy, area, peak };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/**
 * @param {{ startedAt: number, exitAt: number, calls: { method: string, path: string, target: string,
 *   start: number, end?: number }[] }} rec  the recorder's document
 * @param {string[]} hosts  the hosts' names (the recorder's targets for their sockets)
 * @param {{ spawnedAt: number, exitedAt: number }} wall  the parent's clock around the process
 */
export function shapeOf(rec, hosts, wall) {
  const calls = rec.calls.map((c) => ({ ...c, end: c.end ?? rec.exitAt }));
  const engine = calls.filter((c) => isEngine(c, hosts));
  const writes = engine.filter(isWrite);
  const first = Math.min(...writes.map((c) => c.start));
  const firstWrite = writes.find((c) => c.start === first);
  const lastStarted = writes.reduce((a, c) => (c.start > a.start ? c : a), firstWrite);
  const last = Math.max(...writes.map((c) => c.end));
  const span = last - first;
  const perHost = hosts.map((h) => {
    const mine = writes.filter((c) => c.target === h);
    const iv = mine.map((c) => [c.start, c.end]);
    const { busy, area, peak } = coverage(iv, first, last);
    const hostFirst = Math.min(...mine.map((c) => c.start));
    const hostLast = Math.max(...mine.map((c) => c.end));
    const own = coverage(iv, hostFirst, hostLast);
    return {
      host: h,
      writes: mine.length,
      meanInFlight: span > 0 ? area / span : 0,
      peakInFlight: peak,
      idleInSpanMs: span - busy,
      idleInOwnMs: hostLast - hostFirst - own.busy,
      startMs: hostFirst - first,
      doneMs: hostLast - first,
    };
  });
  const byContainer = new Map();
  for (const c of writes) {
    const k = kindOf(c);
    if (k !== 'container.create' && k !== 'container.start') continue;
    const name = containerOf(c);
    if (!name) continue;
    const e = byContainer.get(name) ?? {};
    e[k] = c;
    byContainer.set(name, e);
  }
  const pairs = [...byContainer.values()].filter((e) => e['container.create'] && e['container.start']);
  const kinds = {};
  for (const c of engine) {
    const k = isWrite(c) ? kindOf(c) : `read ${kindOf(c).replace(/^GET /, '')}`;
    const s = (kinds[k] ??= { n: 0, ms: 0 });
    s.n++;
    s.ms += c.end - c.start;
  }
  const others = calls.filter((c) => !isEngine(c, hosts));
  return {
    totalMs: wall.exitedAt - wall.spawnedAt,
    beforeMs: first - wall.spawnedAt,
    /** Of beforeMs: Node's start before the first line of the peer's code could run (the recorder's time origin). */
    processStartMs: rec.startedAt - wall.spawnedAt,
    spanMs: span,
    afterMs: wall.exitedAt - last,
    /** Of afterMs: from the process's exit handler to the parent seeing it close. */
    exitMs: wall.exitedAt - rec.exitAt,
    /** CPU time of the peer's process (ms, user + system): before its first Engine write, until its last one was sent, in all. */
    cpuBeforeMs: firstWrite.cpu,
    cpuWritingMs: lastStarted.cpu - firstWrite.cpu,
    cpuMs: rec.exitCpu,
    writes: writes.length,
    readsBefore: engine.filter((c) => !isWrite(c) && c.start < first).length,
    readsDuring: engine.filter((c) => !isWrite(c) && c.start >= first && c.start <= last).length,
    readsAfter: engine.filter((c) => !isWrite(c) && c.start > last).length,
    otherCalls: {
      before: others.filter((c) => c.start < first).length,
      after: others.filter((c) => c.start > last).length,
    },
    otherAfterMs: others.filter((c) => c.start > last).reduce((a, c) => a + (c.end - c.start), 0),
    perHost,
    meanInFlight: median(perHost.map((h) => h.meanInFlight)),
    maxIdleInSpanMs: Math.max(...perHost.map((h) => h.idleInSpanMs)),
    lastHostDoneMs: Math.max(...perHost.map((h) => h.doneMs)),
    createToStartMs: median(pairs.map((e) => e['container.start'].start - e['container.create'].end)),
    containerMs: median(pairs.map((e) => e['container.start'].end - e['container.create'].start)),
    createMs: median(pairs.map((e) => e['container.create'].end - e['container.create'].start)),
    startMs: median(pairs.map((e) => e['container.start'].end - e['container.start'].start)),
    firstCreateMs: Math.min(...pairs.map((e) => e['container.create'].start)) - first,
    kinds,
  };
}
