/** The apply's progress views: one plain line per step without a TTY, a live block on a TTY, colours only where wanted. */
import { Writable } from 'node:stream';
import test from 'ava';
import { LineReporter } from '../../../src/cli/views/progress.js';
import { useColor } from '../../../src/cli/views/color.js';

/** A stream that keeps what was written; `isTTY` as asked. */
function sink(isTTY: boolean): NodeJS.WriteStream & { text: () => string } {
  let out = '';
  const s = new Writable({
    write: (chunk, _e, cb) => ((out += chunk.toString()), cb()),
  }) as unknown as NodeJS.WriteStream & { text: () => string };
  Object.assign(s, { isTTY, text: () => out });
  return s;
}

const op = (id: string) => ({ id, kind: 'container.start', host: id.split(' ')[0] });

function withEnv<T>(env: Record<string, string | undefined>, fn: () => T): T {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  for (const [k, v] of Object.entries(env))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  try {
    return fn();
  } finally {
    for (const [k, v] of Object.entries(saved))
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
  }
}

const steps = (r: LineReporter) => {
  r.event({ type: 'op-start', op: op('h1 start app-web-1') } as never);
  r.event({ type: 'op-done', op: op('h1 start app-web-1'), ms: 12 } as never);
  r.event({ type: 'op-failed', op: op('h2 start app-web-2'), error: 'boom' } as never);
  r.event({ type: 'op-skipped', op: op('h2 wait healthy app-web-2'), reason: 'h2 start app-web-2 failed' } as never);
  r.event({
    type: 'summary',
    ok: false,
    outcome: 'failed',
    done: 1,
    failed: 1,
    skipped: 1,
    calls: { h1: { reads: 3, writes: 1 }, h2: { reads: 3, writes: 1 } },
    failures: [{ op: 'h2 start app-web-2', error: 'boom' }],
  } as never);
};

test('without a TTY: one plain line per finished step (✓ done with its time, ✗ failed with the error, - skipped with why), then the summary; no escape codes', (t) => {
  const out = sink(false);
  withEnv({ NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined }, () => steps(new LineReporter(out)));
  t.deepEqual(out.text().split('\n').slice(0, 5), [
    '✓ h1 start app-web-1 (12 ms)',
    '✗ h2 start app-web-2: boom',
    '- h2 wait healthy app-web-2 skipped: h2 start app-web-2 failed',
    'apply failed: 1 done, 1 failed, 1 skipped; Engine calls h1 3r/1w, h2 3r/1w',
    '  error: h2 start app-web-2: boom',
  ]);
  t.false(out.text().includes('\x1b'), 'no escape code at all');
});

test('on a TTY: the steps in flight are drawn live and cleared when done; colours unless NO_COLOR; CI=true means plain lines', (t) => {
  const tty = sink(true);
  withEnv({ NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined }, () => steps(new LineReporter(tty)));
  t.regex(tty.text(), /… h1 start app-web-1/, 'the running step is shown');
  // eslint-disable-next-line no-control-regex -- the escape codes a terminal gets are what is tested
  t.regex(tty.text(), /\x1b\[1A\x1b\[0J/, 'and cleared');
  // eslint-disable-next-line no-control-regex -- the escape codes a terminal gets are what is tested
  t.regex(tty.text(), /\x1b\[32m✓/, 'green tick');

  const noColor = sink(true);
  withEnv({ NO_COLOR: '1', FORCE_COLOR: undefined, CI: undefined }, () => steps(new LineReporter(noColor)));
  // eslint-disable-next-line no-control-regex -- the escape codes a terminal gets are what is tested
  t.false(/\x1b\[3\dm/.test(noColor.text()), 'NO_COLOR: no colour codes');

  const ci = sink(true);
  withEnv({ NO_COLOR: '1', FORCE_COLOR: undefined, CI: 'true' }, () => steps(new LineReporter(ci)));
  t.false(ci.text().includes('…'), 'CI: no live block');
});

test('useColor: a TTY alone turns colour on; NO_COLOR (non-empty) turns it off; FORCE_COLOR turns it on without a TTY', (t) => {
  t.true(withEnv({ NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined }, () => useColor(sink(true))));
  t.false(withEnv({ NO_COLOR: undefined, FORCE_COLOR: undefined, CI: undefined }, () => useColor(sink(false))));
  t.false(withEnv({ NO_COLOR: '1', FORCE_COLOR: undefined, CI: undefined }, () => useColor(sink(true))));
  t.true(
    withEnv({ NO_COLOR: '', FORCE_COLOR: undefined, CI: undefined }, () => useColor(sink(true))),
    'an empty NO_COLOR does not count',
  );
  t.true(withEnv({ NO_COLOR: undefined, FORCE_COLOR: '1' }, () => useColor(sink(false))));
  t.false(withEnv({ NO_COLOR: undefined, FORCE_COLOR: '0' }, () => useColor(sink(false))));
  t.false(
    withEnv({ NO_COLOR: undefined, FORCE_COLOR: undefined, CI: 'true' }, () => useColor(sink(true))),
    'CI: plain',
  );
});
