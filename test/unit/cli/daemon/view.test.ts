import test from 'ava';
import { Writable } from 'node:stream';
import { printDaemonServed } from '../../../../src/cli/views/daemon.js';

function captured(): { stream: Writable; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _e, cb) {
      text += chunk.toString();
      cb();
    },
  });
  return { stream, text: () => text };
}

test("the daemon's log names the command, the client's directory and the outcome, never the arguments' values", (t) => {
  const out = captured();
  printDaemonServed(
    {
      argv: ['plan', '--consul', 'https://ops:s3cret@consul.example:8501', '-f', 'compose.yaml'],
      cwd: '/srv/app',
      reply: { kind: 'exit', code: 2 },
      ms: 41.6,
    },
    out.stream,
  );
  printDaemonServed(
    { argv: ['apply', '-y'], cwd: '/srv/app', reply: { kind: 'fallback', reason: 'the lock' }, ms: 3 },
    out.stream,
  );
  const [first, second] = out.text().trim().split('\n');
  t.regex(first, /^\d\d:\d\d:\d\d stack plan in \/srv\/app: exit 2 \(42 ms\)$/);
  t.regex(second, /^\d\d:\d\d:\d\d stack apply in \/srv\/app: left to the client: the lock \(3 ms\)$/);
  t.false(out.text().includes('s3cret'));
});
