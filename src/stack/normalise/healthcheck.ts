/** `healthcheck:` in the engine's form: a string test is `CMD-SHELL`, `disable: true` is `NONE`. */
import type { HealthcheckSpec } from '../types.js';
import { isRecord, type KeyPath } from '../key-path.js';
import type { Problems } from '../problems.js';
import { parseDuration } from '../units.js';

export function normaliseHealthcheck(value: unknown, at: KeyPath, problems: Problems): HealthcheckSpec | undefined {
  if (!isRecord(value)) return undefined;
  if (value.disable === true) return { test: ['NONE'] };
  let test: string[] = [];
  if (typeof value.test === 'string') test = ['CMD-SHELL', value.test];
  else if (Array.isArray(value.test)) {
    test = value.test.map(String);
    if (test.length && !['CMD', 'CMD-SHELL', 'NONE'].includes(test[0])) {
      problems.error(
        [...at, 'test', 0],
        `a healthcheck test list starts with CMD, CMD-SHELL or NONE, not "${test[0]}"`,
        {
          hint: `write ["CMD", ${test.map((t) => JSON.stringify(t)).join(', ')}] or a string for a shell command`,
        },
      );
    } else if ((test[0] === 'CMD' || test[0] === 'CMD-SHELL') && test.length < 2) {
      problems.error([...at, 'test'], `${test[0]} needs a command after it`);
    }
  }
  // An empty test keeps the image's own HEALTHCHECK and only changes its timings.
  const spec: HealthcheckSpec = { test };
  const interval = parseDuration(value.interval);
  const timeout = parseDuration(value.timeout);
  const startPeriod = parseDuration(value.start_period);
  if (interval !== undefined) spec.intervalNs = interval;
  if (timeout !== undefined) spec.timeoutNs = timeout;
  if (typeof value.retries === 'number') spec.retries = value.retries;
  if (startPeriod !== undefined) spec.startPeriodNs = startPeriod;
  const startInterval = parseDuration(value.start_interval);
  if (startInterval !== undefined) spec.startIntervalNs = startInterval;
  return spec;
}
