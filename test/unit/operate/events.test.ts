import test from 'ava';
import { byTime, isoNano, parseEvent, type EventScope } from '../../../src/operate/events.js';
import { engineTime, unixSeconds } from '../../../src/operate/time.js';
import { eventLine } from '../../../src/cli/views/events.js';
import { Labels } from '../../../src/labels.js';

const scope: EventScope = { stack: 'app', names: new Set(['app_default', 'app_data']) };
const container = (action: string, labels: Record<string, string>, extra: Record<string, string> = {}) =>
  JSON.stringify({
    Type: 'container',
    Action: action,
    Actor: { ID: 'c'.repeat(64), Attributes: { name: 'app-web-1', ...labels, ...extra } },
    time: 1796518800,
    timeNano: 0,
  }).replace('"timeNano":0', '"timeNano":1796518800123456789');
const own = { [Labels.managed]: 'true', [Labels.stack]: 'app', [Labels.service]: 'web', [Labels.slot]: '1' };

test("events: a container is the stack's by its labels; networks and volumes by name; anything else or malformed is dropped", (t) => {
  const e = parseEvent('h2', container('health_status: healthy', own), scope);
  t.like(e, { host: 'h2', type: 'container', action: 'health_status', detail: 'healthy', name: 'app-web-1' });
  t.like(e, { service: 'web', slot: '1' });
  t.like(parseEvent('h1', container('die', own, { exitCode: '137' }), scope), { action: 'die', exitCode: 137 });
  t.is(parseEvent('h1', container('start', { ...own, [Labels.stack]: 'other' }), scope), undefined);
  t.is(parseEvent('h1', container('start', { [Labels.stack]: 'app' }), scope), undefined, 'not managed');
  t.is(
    parseEvent('h1', container('start', own), { ...scope, owner: { id: 'x', state: 's' } }),
    undefined,
    'another identity',
  );
  const net = {
    Type: 'network',
    Action: 'create',
    Actor: { ID: 'n1', Attributes: { name: 'app_default' } },
    timeNano: 1,
  };
  t.like(parseEvent('h1', JSON.stringify(net), scope), { type: 'network', name: 'app_default' });
  t.is(parseEvent('h1', JSON.stringify({ ...net, Actor: { ID: 'n', Attributes: { name: 'x' } } }), scope), undefined);
  const vol = { Type: 'volume', Action: 'create', Actor: { ID: 'app_data', Attributes: {} }, timeNano: 2 };
  t.like(parseEvent('h1', JSON.stringify(vol), scope), { type: 'volume', name: 'app_data' });
  t.is(parseEvent('h1', JSON.stringify({ ...vol, Type: 'image' }), scope), undefined);
  t.is(parseEvent('h1', '{not json', scope), undefined);
  t.is(parseEvent('h1', JSON.stringify({ ...vol, timeNano: 'x' }), scope), undefined);
});

test('events: nanosecond times kept exactly; merged by time, then by host order', (t) => {
  t.is(isoNano('1796518800123456789'), '2026-12-06T01:00:00.123456789Z');
  const e = parseEvent('h1', container('start', own), scope)!;
  t.is(e.timeNano, '1796518800123456789', 'every digit, though a double cannot hold it');
  t.is(e.time, '2026-12-06T01:00:00.123456789Z');
  const events = [
    { ...e, host: 'h2', timeNano: '30' },
    { ...e, host: 'h3', timeNano: '10' },
    { ...e, host: 'h1', timeNano: '30' },
  ].sort(byTime(['h1', 'h2', 'h3']));
  t.deepEqual(
    events.map((x) => `${x.timeNano}@${x.host}`),
    ['10@h3', '30@h1', '30@h2'],
  );
  t.is(eventLine({ ...e, action: 'die', exitCode: 1 }), `${e.time} h1 container die app-web-1 (web.1) exit 1`);
});

test('a label with control characters reaches the terminal without them', (t) => {
  const e = parseEvent('h1', container('start', { ...own, [Labels.service]: 'w\u001b[2Jeb' }), scope)!;
  t.regex(eventLine(e), /\(w\?\[2Jeb\.1\)$/);
});

test('--since: a duration ago, an RFC 3339 time or Unix seconds; anything else is refused', (t) => {
  const now = Date.parse('2026-12-06T01:00:00Z');
  t.is(engineTime('10m', now), unixSeconds(now - 600_000));
  t.is(engineTime('1h30m', now), unixSeconds(now - 5_400_000));
  t.is(engineTime('2026-12-06T00:00:00Z', now), '1796515200.000000000');
  t.is(engineTime('1796515200.5', now), '1796515200.500000000');
  t.is(engineTime('yesterday', now), undefined);
  t.is(engineTime('10x', now), undefined);
  t.is(engineTime('', now), undefined);
});
