/** SIGINT/SIGTERM handling of the writing commands before and after operations start (no process signal sent: receive() is what the handlers call). Serial: they count process listeners. */
import test from 'ava';
import { CommandSignals, withCommandSignals } from '../../../src/cli/command-signals.js';
import { ExitError } from '../../../src/errors.js';

const summary = (err: unknown) => (err as ExitError).diagnostics[0].summary;

test.serial(
  'a signal abandons a wait before any change: exit 130, one line naming the signal and the phase',
  async (t) => {
    const err = await t.throwsAsync(
      withCommandSignals(1000, async (signals) => {
        signals.enter('observing the hosts');
        const never = new Promise<void>(() => undefined);
        setTimeout(() => signals.receive('SIGTERM'), 5);
        await signals.until(never);
      }),
    );
    t.true(err instanceof ExitError);
    t.is((err as ExitError).exitCode, 130);
    t.is(summary(err), 'interrupted by SIGTERM while observing the hosts, before any change: no host was changed');
  },
);

test.serial(
  'any error after a signal before operations start is the interrupted exit (an aborted lock wait, a prompt given up)',
  async (t) => {
    const err = await t.throwsAsync(
      withCommandSignals(1000, async (signals) => {
        signals.enter('waiting for the lock of stack s');
        signals.receive('SIGINT');
        throw new Error('stopped waiting for the lock of stack s');
      }),
    );
    t.is((err as ExitError).exitCode, 130);
    t.is(
      summary(err),
      'interrupted by SIGINT while waiting for the lock of stack s, before any change: no host was changed',
    );
  },
);

test.serial(
  'entering the next phase after a signal throws at once; a finished wait still returns its value',
  async (t) => {
    const signals = new CommandSignals(1000);
    t.teardown(() => signals.dispose());
    t.is(await signals.until(Promise.resolve(7)), 7);
    signals.enter('planning');
    signals.receive('SIGINT');
    t.throws(() => signals.enter('waiting for the confirmation'), { message: /interrupted by SIGINT while planning/ });
    await t.throwsAsync(signals.until(Promise.resolve(1)), { instanceOf: ExitError });
  },
);

test.serial(
  'once operations started, signals go to the apply: soft first, hard second; errors are not rewritten',
  async (t) => {
    const signals = new CommandSignals(60_000);
    t.teardown(() => signals.dispose());
    const seen: [string, boolean][] = [];
    signals.startApplying((s, hard) => seen.push([s, hard]));
    signals.receive('SIGINT');
    signals.receive('SIGTERM');
    t.deepEqual(seen, [
      ['SIGINT', false],
      ['SIGTERM', true],
    ]);
    t.true(signals.interruption.signal.aborted);
    t.true(signals.interruption.hardSignal.aborted);
    const failure = new Error('apply failed');
    t.is(signals.translate(failure), failure);
  },
);

test.serial('the process handlers are installed for the command and removed after it', async (t) => {
  const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  await withCommandSignals(1000, async () => {
    t.deepEqual([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')], [before[0] + 1, before[1] + 1]);
  });
  t.deepEqual([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')], before);
});
