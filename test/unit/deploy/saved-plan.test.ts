/**
 * Saved plans (issue 17): the inputs' keyed HMACs name the section that changed; a host's fingerprint follows what
 * the plan reads of it (its own objects, objects named after the stack, its images) and not other stacks' coming
 * and going; staleReasons names every difference; the file reader refuses every field that is not the format's.
 */
import { createHash } from 'node:crypto';
import test from 'ava';
import { reconcile } from '../../../src/plan/reconcile.js';
import {
  buildSavedPlan,
  inputSections,
  observedFingerprints,
  staleReasons,
  type SavedPlan,
} from '../../../src/deploy/saved-plan.js';
import { parseSavedPlan, savedPlanFrom } from '../../../src/deploy/saved-plan-file.js';
import { ExitError } from '../../../src/errors.js';
import { HashKey, PUBLIC_TEST_KEY } from '../../../src/sensitive.js';
import type { ObservedContainer, ObservedState } from '../../../src/observe/types.js';
import type { RevisionSummary } from '../../../src/state/types.js';
import { desired, observedEmpty, service, simulate } from '../plan/helpers.js';

const d1 = () => desired([service('web', { deploy: { replicas: 2 } }), service('db')]);
const latest = { number: 3, hash: 'a'.repeat(64) } as RevisionSummary;

function saved(d = d1(), observed: ObservedState = observedEmpty(d), revision: RevisionSummary | null = latest) {
  return buildSavedPlan({
    desired: d,
    observed,
    plan: reconcile(d, observed),
    hashKey: PUBLIC_TEST_KEY,
    latest: revision ?? undefined,
    store: 'local state in /state',
    now: new Date(0),
  });
}

const reasons = (a: SavedPlan, b: SavedPlan) => staleReasons(a, b);

function foreign(name: string, host: string, ports: number[] = []): ObservedContainer {
  return {
    id: `id-${name}`,
    name,
    host,
    service: 'x',
    slot: '1',
    state: 'running',
    networks: [],
    mounts: [],
    labels: {},
    ...(ports.length ? { ports: ports.map((port) => ({ hostIp: '0.0.0.0', port, protocol: 'tcp' })) } : {}),
  };
}

test('the same stack, hosts and revision: not stale, and the plan is recorded as plan --json prints it', (t) => {
  const a = saved();
  t.deepEqual(reasons(a, saved()), []);
  t.is(a.format, 'stack-saved-plan');
  t.is((a.plan as { stack: string }).stack, 'app');
  t.deepEqual(Object.keys(a.observed).sort(), ['digests', 'host h1', 'host h2', 'host h3', 'overlay']);
  t.deepEqual(a.revision, { number: 3, hash: 'a'.repeat(64) });
});

test('a changed service is named by its section, and the other sections keep their HMACs', (t) => {
  const changed = desired([service('web', { deploy: { replicas: 2 }, environment: { A: '1' } }), service('db')]);
  const a = inputSections(d1(), PUBLIC_TEST_KEY);
  const b = inputSections(changed, PUBLIC_TEST_KEY);
  t.not(a['services.web'], b['services.web']);
  t.is(a['services.db'], b['services.db']);
  t.is(a.hosts, b.hosts);
  t.deepEqual(reasons(saved(), saved(changed)), ['the stack changed (file, environment or inventory): services.web']);
});

test('an inventory change is the hosts section; a service removed or added is named', (t) => {
  const fewer = desired([service('web', { deploy: { replicas: 2 } })]);
  t.regex(reasons(saved(), saved(fewer))[0], /: services\.db$/);
  const moved = desired([service('web', { deploy: { replicas: 2 } }), service('db')], {
    hosts: d1().hosts.slice(0, 2),
  });
  t.regex(reasons(saved(), saved(moved))[0], /: hosts$/);
});

test('a sensitive value is kept only as a keyed HMAC: another value is a change, the value is nowhere in the file', (t) => {
  const withSecret = (v: string) => desired([service('web', { environment: { PW: v }, sensitive: ['PW'] })]);
  const a = saved(withSecret('hunter2-secret'));
  t.false(JSON.stringify(a).includes('hunter2-secret'));
  t.deepEqual(reasons(a, saved(withSecret('hunter2-secret'))), []);
  t.regex(reasons(a, saved(withSecret('other-secret')))[0], /services\.web/);
  // Under another key the same stack hashes differently: a plan's HMACs are the stack's own key's.
  const other = inputSections(withSecret('hunter2-secret'), HashKey.random());
  t.not(other['services.web'], a.inputs['services.web']);
});

test('a host fingerprint changes with the stack own containers, not with other stacks', (t) => {
  const d = d1();
  const empty = observedEmpty(d);
  const applied = simulate(reconcile(d, empty), empty);
  const base = observedFingerprints(d, applied);
  const [victim] = applied.hosts.h1.containers;
  t.truthy(victim, 'a replica on h1');

  const removed = structuredClone(applied);
  removed.hosts.h1.containers = removed.hosts.h1.containers.filter((c) => c.name !== victim.name);
  const after = observedFingerprints(d, removed);
  t.not(after['host h1'], base['host h1']);
  t.is(after['host h2'], base['host h2']);

  const others = structuredClone(applied);
  others.hosts.h1.foreignContainers = [foreign('shop-web-1', 'h1')];
  t.deepEqual(observedFingerprints(d, others), base, 'another stack on the host does not matter');

  const clash = structuredClone(applied);
  clash.hosts.h2.foreignContainers = [foreign('app-web-9', 'h2')];
  t.not(observedFingerprints(d, clash)['host h2'], base['host h2'], 'an object named after the stack does');

  const digests = structuredClone(applied);
  digests.digests = { ...digests.digests, other: 'sha256:3' };
  t.not(observedFingerprints(d, digests).digests, base.digests);
});

test('a foreign container publishing one of the stack host ports changes the fingerprint', (t) => {
  const d = desired([
    service('web', { ports: [{ target: 80, published: '8080', protocol: 'tcp', mode: 'host' }] } as never),
  ]);
  const o = observedEmpty(d);
  const base = observedFingerprints(d, o);
  const other = structuredClone(o);
  other.hosts.h1.foreignContainers = [foreign('x-1', 'h1', [9090])];
  t.is(observedFingerprints(d, other)['host h1'], base['host h1']);
  other.hosts.h1.foreignContainers = [foreign('x-1', 'h1', [8080])];
  t.not(observedFingerprints(d, other)['host h1'], base['host h1']);
});

test('stale reasons: the store, the revision, the observed hosts, and a plan that differs alone', (t) => {
  const a = saved();
  t.deepEqual(reasons(a, { ...a, store: 'Consul at http://c:8500' }), [
    'the plan was made against local state in /state, this run uses Consul at http://c:8500',
  ]);
  t.deepEqual(reasons(a, saved(d1(), observedEmpty(d1()), { ...latest, number: 4 })), [
    "the stack's latest revision is revision 4, the plan was made against revision 3",
  ]);
  t.deepEqual(reasons(a, saved(d1(), observedEmpty(d1()), null)), [
    "the stack's latest revision is no revision, the plan was made against revision 3",
  ]);
  t.deepEqual(reasons(a, { ...a, observed: { ...a.observed, 'host h2': 'b'.repeat(64) } }), [
    'the observed state changed: host h2',
  ]);
  t.deepEqual(reasons(a, { ...a, planHash: 'c'.repeat(64) }), ['the plan made now differs from the saved one']);
  t.deepEqual(reasons(a, { ...a, stack: 'other' }), ['the plan is for stack app, the files load stack other']);
});

test('the file reader: a saved plan round-trips; every tampered field is named', (t) => {
  const a = saved();
  t.deepEqual(savedPlanFrom(JSON.parse(JSON.stringify(a))), a);
  const refuse = (doc: unknown, message: RegExp) => {
    const err = t.throws(() => parseSavedPlan(JSON.stringify(doc), 'p.json'), { instanceOf: ExitError });
    t.regex(err.diagnostics[0].summary, message);
    t.is(err.exitCode, 1);
  };
  refuse({ ...a, format: 'terraform' }, /format: expected "stack-saved-plan"/);
  refuse({ ...a, version: 2 }, /version: expected 1/);
  refuse({ ...a, planHash: 'x' }, /planHash: expected a sha256/);
  refuse({ ...a, inputs: { 'services.web': 'nope' } }, /inputs\.services\.web: expected a sha256/);
  refuse({ ...a, observed: [] }, /observed: expected an object/);
  refuse({ ...a, revision: { number: 0, hash: 'a'.repeat(64) } }, /revision\.number: expected a whole number/);
  refuse({ ...a, refresh: 'yes' }, /refresh: expected true or false/);
  refuse({ ...a, desired: { ...a.desired, services: null } }, /desired\.services: expected an object/);
  refuse([], /\(the document\): expected an object/);
  const notJson = t.throws(() => parseSavedPlan('{', 'p.json'), { instanceOf: ExitError });
  t.regex(notJson.diagnostics[0].summary, /^saved plan p\.json is not a plan stack can apply: not JSON/);
  t.deepEqual(notJson.diagnostics[0].where, { file: 'p.json' });
});

test('a secret is read from its source again: other content is a change of the secrets section, never in the file', (t) => {
  const withSecret = (text: string) => {
    const content = Buffer.from(text);
    return desired([service('web')], {
      secrets: {
        db: {
          key: 'db',
          name: 'app_db',
          kind: 'secret',
          source: 'file:./db.txt',
          external: false,
          content,
          contentHash: createHash('sha256').update(content).digest('hex'),
        },
      },
    } as never);
  };
  const a = saved(withSecret('s3cr3t-value'));
  const text = JSON.stringify(a);
  t.false(text.includes('s3cr3t-value'));
  t.false(text.includes(Buffer.from('s3cr3t-value').toString('base64')));
  t.false(text.includes(createHash('sha256').update('s3cr3t-value').digest('hex')), 'not even its plain sha256');
  t.deepEqual(reasons(a, saved(withSecret('s3cr3t-value'))), []);
  t.deepEqual(reasons(a, saved(withSecret('another'))), [
    'the stack changed (file, environment or inventory): secrets',
  ]);
});
