/** logs and exec at the CLI: --since forms, bad values refused with exit 1, stable prefix colours. */
import test from 'ava';
import { engineTime } from '../../../src/cli/log-times.js';
import { colourIndex, formatNotice, logsView } from '../../../src/cli/views/logs.js';
import { main } from '../../../src/cli/main.js';

test('--since takes RFC 3339, unix seconds and ages', (t) => {
  t.is(engineTime('2026-12-06T10:00:00Z'), `${Date.UTC(2026, 11, 6, 10) / 1000}.000000000`);
  t.is(engineTime('2026-12-06T10:00:00.000000042+01:00'), `${Date.UTC(2026, 11, 6, 9) / 1000}.000000042`);
  t.is(engineTime('1765015200.5'), '1765015200.5');
  t.is(engineTime('10m', 1_000_000_000), '999400.000');
  t.is(engineTime('1h30m', 10_000_000), String((10_000_000 - 5_400_000) / 1000) + '.000');
  t.throws(() => engineTime('yesterday'), { message: /RFC 3339/ });
  t.throws(() => engineTime('-5m'));
});

test('a replica keeps its colour across runs', (t) => {
  t.is(colourIndex('web.1'), colourIndex('web.1'));
  t.not(colourIndex('web.1'), colourIndex('web.2'));
});

test('host notices say what happened', (t) => {
  t.is(
    formatNotice({ kind: 'unreachable', host: 'h4', message: 'connect ECONNREFUSED' }),
    'host h4 is unreachable: connect ECONNREFUSED',
  );
  t.regex(formatNotice({ kind: 'reachable', host: 'h4' }), /h4 is reachable again/);
});

test('bad --tail and --since values are refused with exit 1 before any host is contacted', async (t) => {
  t.is(await main(['logs', '--tail', 'x', '-i', '/nonexistent.yaml']), 1);
  t.is(await main(['logs', '--since', 'whenever', '-i', '/nonexistent.yaml']), 1);
});

/** A stream that keeps what is written (not a terminal: no colour). */
function sink(): NodeJS.WriteStream & { text: string } {
  const s = { text: '', isTTY: false, write: (chunk: string) => ((s.text += chunk), true) };
  return s as unknown as NodeJS.WriteStream & { text: string };
}

const replica = (service: string, slot: string, host: string) => ({ service, slot, host, id: `${service}${slot}` });
const line = (r: ReturnType<typeof replica>, stream: 'stdout' | 'stderr', text: string) => ({
  replica: r,
  stream,
  time: '2026-12-06T00:00:01.5Z',
  key: '2026-12-06T00:00:01.500000000Z',
  text,
});

test('the text view aligns prefixes to the longest replica name, --timestamps adds the time', (t) => {
  const stdout = sink();
  const view = logsView({ json: false, timestamps: true, stdout, stderr: sink() });
  const a = replica('db', '1', 'h3');
  const b = replica('frontend', '12', 'h1');
  view.begin?.([a, b]);
  view.line(line(a, 'stdout', 'ready'));
  view.line(line(b, 'stderr', 'oops'));
  t.is(stdout.text, 'db.1@h3        | 2026-12-06T00:00:01.5Z ready\nfrontend.12@h1 | 2026-12-06T00:00:01.5Z oops\n');
});

test('the JSON view: one object a line, the stream kept, control characters escaped', (t) => {
  const stdout = sink();
  const stderr = sink();
  const view = logsView({ json: true, timestamps: false, stdout, stderr });
  view.line(line(replica('web', '2', 'h2'), 'stderr', 'bad \u001b[31mred'));
  t.deepEqual(JSON.parse(stdout.text), {
    service: 'web',
    slot: '2',
    host: 'h2',
    stream: 'stderr',
    time: '2026-12-06T00:00:01.5Z',
    line: 'bad \u001b[31mred',
  });
  t.true(stdout.text.includes('\\u001b'));
  view.notice({ kind: 'unreachable', host: 'h4', message: 'gone' });
  t.is(stderr.text, 'warning: host h4 is unreachable: gone\n');
  t.deepEqual(view.notices, [{ kind: 'unreachable', host: 'h4', message: 'gone' }]);
});
