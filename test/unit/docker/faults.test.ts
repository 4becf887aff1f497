/** Fault classification, back-off, time limits and retries around one Engine call (pure, no daemon). */
import test from 'ava';
import {
  backoffMs,
  CallTimeoutError,
  classify,
  DEFAULT_FAULT_SETTINGS,
  retriesFor,
  timeoutFor,
  withRetries,
  withTimeout,
} from '../../../src/docker/faults.js';
import { HostError, isUnreachable, sameLabels } from '../../../src/docker/client.js';

const sysErr = (code: string, message = code) => Object.assign(new Error(message), { code });
const httpErr = (statusCode: number, message: string) =>
  Object.assign(new Error(`(HTTP code ${statusCode}) server error - ${message}`), { statusCode, json: { message } });

test('socket errors on the way are transient', (t) => {
  for (const code of ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNABORTED'])
    t.is(classify(sysErr(code)), 'transient', code);
  t.is(classify(new Error('socket hang up')), 'transient');
  t.is(classify(new CallTimeoutError(1000)), 'transient');
});

test('a daemon shutting down (its local store closed) counts as unreachable; other store errors do not', (t) => {
  t.is(
    classify(
      httpErr(500, 'failed to update store for object type *libnetwork.endpoint: open : no such file or directory'),
    ),
    'unreachable',
  );
  t.is(classify(httpErr(500, 'open /var/lib/docker/x: no such file or directory')), 'definite');
});

test('a daemon that cannot be reached at all is unreachable', (t) => {
  for (const code of ['ECONNREFUSED', 'ENOENT', 'EHOSTUNREACH', 'ENETUNREACH'])
    t.is(classify(sysErr(code, `connect ${code} /run/x.sock`)), 'unreachable', code);
});

test('502, 503, 504 are transient; a 500 is transient unless it is a definite answer', (t) => {
  t.is(classify(httpErr(502, 'bad gateway')), 'transient');
  t.is(classify(httpErr(503, 'unavailable')), 'transient');
  t.is(classify(httpErr(504, 'timeout')), 'transient');
  t.is(
    classify(
      httpErr(500, 'Get "https://10.77.0.2:5000/v2/": dial tcp 10.77.0.2:5000: connect: network is unreachable'),
    ),
    'transient',
  );
  t.is(classify(httpErr(500, 'error while creating mount source path: i/o timeout')), 'transient');
  t.is(classify(httpErr(500, 'something went wrong')), 'transient');
  t.is(
    classify(
      httpErr(
        500,
        'driver failed programming external connectivity on endpoint x: Bind for 0.0.0.0:8080 failed: port is already allocated',
      ),
    ),
    'definite',
  );
  t.is(
    classify(
      httpErr(500, 'OCI runtime create failed: container_linux.go: exec: "nope": executable file not found in $PATH'),
    ),
    'definite',
  );
  t.is(classify(httpErr(500, 'invalid reference format')), 'definite');
});

test('4xx answers are definite', (t) => {
  t.is(classify(httpErr(404, 'No such container: x')), 'definite');
  t.is(classify(httpErr(409, 'Conflict. The container name "/x" is already in use')), 'definite');
  t.is(classify(httpErr(400, 'bad parameter')), 'definite');
  t.is(classify(new Error('manifest for x not found')), 'definite');
});

test('pull errors relayed in the progress stream are classified by their message', (t) => {
  t.is(classify(new Error('Get https://10.77.0.2:5000/v2/: net/http: TLS handshake timeout')), 'transient');
  t.is(classify(new Error('dial tcp 10.77.0.2:5000: connect: network is unreachable')), 'transient');
  t.is(classify(new Error('unauthorized: authentication required')), 'definite');
});

test('back-off doubles from the base and is capped', (t) => {
  const s = { baseDelayMs: 100, maxDelayMs: 1000 };
  t.deepEqual(
    [1, 2, 3, 4, 5, 6].map((n) => backoffMs(n, s)),
    [100, 200, 400, 800, 1000, 1000],
  );
});

test('retries per class: transient gets the most, definite none', (t) => {
  t.is(retriesFor('transient', DEFAULT_FAULT_SETTINGS), DEFAULT_FAULT_SETTINGS.retries);
  t.is(retriesFor('unreachable', DEFAULT_FAULT_SETTINGS), DEFAULT_FAULT_SETTINGS.unreachableRetries);
  t.is(retriesFor('definite', DEFAULT_FAULT_SETTINGS), 0);
});

test('time limits: pulls and stops get longer than ordinary writes', (t) => {
  const s = DEFAULT_FAULT_SETTINGS;
  t.true(timeoutFor('pull', s) > timeoutFor('write', s));
  t.is(timeoutFor('stop', s, 20), 20_000 + s.stopExtraMs);
  t.is(timeoutFor('stop', s), 10_000 + s.stopExtraMs);
  t.is(timeoutFor('read', s), s.readTimeoutMs);
});

test('withTimeout rejects with CallTimeoutError and aborts the call', async (t) => {
  let aborted = false;
  const err = await t.throwsAsync(
    withTimeout(
      20,
      (signal) =>
        new Promise((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve(undefined)))),
    ),
  );
  t.true(err instanceof CallTimeoutError);
  t.true(aborted);
  t.is(await withTimeout(1000, async () => 7), 7);
});

const settings = { retries: 3, unreachableRetries: 1, baseDelayMs: 10, maxDelayMs: 40 };

test('withRetries retries transient errors with back-off, then succeeds', async (t) => {
  const delays: number[] = [];
  let n = 0;
  const v = await withRetries(
    async () => {
      if (++n < 3) throw sysErr('ECONNRESET');
      return 'ok';
    },
    settings,
    { sleep: async (ms) => void delays.push(ms) },
  );
  t.is(v, 'ok');
  t.deepEqual(delays, [10, 20]);
});

test('withRetries gives up after the bounded number of attempts and says how many', async (t) => {
  let calls = 0;
  const e2 = await t.throwsAsync<Error & { attempts: number }>(
    withRetries<never>(async () => (calls++, Promise.reject(sysErr('EPIPE'))), settings, {
      sleep: async () => undefined,
    }),
  );
  t.is(calls, 4);
  t.is(e2.attempts, 4);
});

test('withRetries does not retry a definite answer, and retries unreachable briefly', async (t) => {
  let calls = 0;
  await t.throwsAsync(
    withRetries<never>(async () => (calls++, Promise.reject(httpErr(404, 'No such container'))), settings, {
      sleep: async () => undefined,
    }),
  );
  t.is(calls, 1);
  calls = 0;
  await t.throwsAsync(
    withRetries<never>(async () => (calls++, Promise.reject(sysErr('ECONNREFUSED'))), settings, {
      sleep: async () => undefined,
    }),
  );
  t.is(calls, 2);
});

test('HostError names host, action and target, keeps the class, and says whether the host is unreachable', (t) => {
  const e = new HostError(
    'h4',
    'start container',
    'app-web-1',
    undefined,
    sysErr('ECONNREFUSED', 'connect ECONNREFUSED 10.77.0.14:2376'),
    'unreachable',
    3,
  );
  t.is(e.message, 'host h4: start container app-web-1: connect ECONNREFUSED 10.77.0.14:2376 (after 3 attempts)');
  t.true(isUnreachable(e));
  t.false(isUnreachable(new HostError('h1', 'start container', 'x', 500, httpErr(500, 'OCI runtime create failed'))));
  t.false(isUnreachable(new Error('ECONNREFUSED')));
});

test('sameLabels compares only the given keys', (t) => {
  t.true(sameLabels({ a: '1', b: '2', c: 'x' }, { a: '1', b: '2', c: 'y' }, ['a', 'b']));
  t.false(sameLabels({ a: '1' }, { a: '2' }, ['a']));
  t.false(sameLabels(undefined, { a: '1' }, ['a']));
});
