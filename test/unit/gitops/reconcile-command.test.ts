/** `stack reconcile` refuses, before it fetches anything, to start on a --listen address it cannot bind. */
import test from 'ava';
import { createServer } from 'node:net';
import { runReconcile } from '../../../src/cli/commands/reconcile.js';
import { ExitError } from '../../../src/errors.js';

test('a --listen port already in use is one error naming the address, with what to do', async (t) => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  const listen = `127.0.0.1:${port}`;
  const err = await t.throwsAsync(
    runReconcile({ repo: 'file:///nonexistent/repo.git', stack: ['web'], inventory: '/nonexistent/i.yaml', listen }),
  );
  t.true(err instanceof ExitError);
  const d = (err as ExitError).diagnostics[0];
  t.regex(d.summary, new RegExp(`cannot listen on ${listen}: .*EADDRINUSE`));
  t.regex(d.hint ?? '', /free port/);
});
