/** The fault options of plan/apply/destroy: values to settings, bad values refused with exit 1. */
import test from 'ava';
import { Command } from 'commander';
import { addFaultOptions, faultSettingsFrom, graceMsFrom } from '../../../src/cli/fault-options.js';
import { DEFAULT_FAULT_SETTINGS } from '../../../src/docker/faults.js';
import { DEFAULT_GRACE_MS } from '../../../src/apply/interruption.js';
import { main } from '../../../src/cli/main.js';

test('defaults when no option is given', (t) => {
  t.deepEqual(faultSettingsFrom({}), DEFAULT_FAULT_SETTINGS);
  t.is(graceMsFrom({}), DEFAULT_GRACE_MS);
});

test('options become settings in milliseconds; --timeout also caps reads', (t) => {
  const cmd = addFaultOptions(new Command('x').exitOverride(), { grace: true });
  cmd.parse(['--timeout', '5', '--pull-timeout', '120', '--retries', '0', '--grace', '2.5', '--skip-unreachable'], {
    from: 'user',
  });
  const opts = cmd.opts();
  const f = faultSettingsFrom(opts);
  t.is(f.writeTimeoutMs, 5000);
  t.is(f.readTimeoutMs, 5000);
  t.is(f.pullTimeoutMs, 120_000);
  t.is(f.retries, 0);
  t.is(graceMsFrom(opts), 2500);
  t.true(opts.skipUnreachable);
});

test('bad values are refused before anything is loaded or contacted (exit 1)', async (t) => {
  const write = process.stderr.write.bind(process.stderr);
  let err = '';
  process.stderr.write = (s: string) => ((err += s), true);
  try {
    t.is(await main(['apply', '--retries', 'many', '-f', '/nonexistent/compose.yaml']), 1);
    t.is(await main(['plan', '--timeout', '0', '-f', '/nonexistent/compose.yaml']), 1);
  } finally {
    process.stderr.write = write;
  }
  t.regex(err, /--retries <n>' argument 'many' is invalid\. must be a whole number from 0 to 20/);
  t.regex(err, /--timeout <seconds>' argument '0' is invalid\. must be a number of seconds above 0/);
});
