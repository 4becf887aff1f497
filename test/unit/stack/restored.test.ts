/** A revision read back for rollback is checked like a loaded stack file before anything is planned from it. */
import test from 'ava';
import { checkRestored } from '../../../src/stack/restored.js';
import { storeDesired } from '../../../src/state/revision.js';
import type { DesiredState } from '../../../src/stack/types.js';
import { desired, network, service } from '../plan/helpers.js';
import { PUBLIC_TEST_KEY } from '../../../src/sensitive.js';

const WHERE = 'revision 3 of stack app in Consul at http://c:8500';

/** As the revision holds it: through JSON, like a record read back. */
function roundTrip(d: DesiredState): DesiredState {
  const stored = storeDesired(d, PUBLIC_TEST_KEY);
  return { ...d, services: stored.services, networks: stored.networks, volumes: stored.volumes } as DesiredState;
}

test('a revision stack wrote passes', (t) => {
  t.deepEqual(checkRestored(roundTrip(desired([service('web'), service('db')])), 'app', WHERE), []);
});

test("a label under stack's own prefix is refused, naming the revision and the key", (t) => {
  const d = roundTrip(desired([service('web', { labels: { 'io.github.stack-deploy.managed': 'true' } })]));
  const [p] = checkRestored(d, 'app', WHERE);
  t.regex(p.summary, /label io\.github\.stack-deploy\.managed is under stack's own prefix/);
  t.is(p.where?.file, WHERE);
  t.is(p.where?.path, 'services.web.labels["io.github.stack-deploy.managed"]');
  const net = roundTrip(
    desired([service('web')], {
      networks: { default: network('default', 'app', { labels: { 'io.github.stack-deploy.stack': 'other' } }) },
    }),
  );
  t.regex(checkRestored(net, 'app', WHERE)[0]?.summary ?? '', /label io\.github\.stack-deploy\.stack/);
});

test('a malformed service is refused with its key path: wrong types, a bad image, replicas out of range, a renamed service', (t) => {
  const cases: [Record<string, unknown>, RegExp, string][] = [
    [{ image: 'busybox; rm -rf /' }, /must match pattern/, 'services.web.image'],
    [{ privileged: 'yes' }, /must be boolean/, 'services.web.privileged'],
    [{ environment: { A: { $x: 1 } } }, /must be string/, 'services.web.environment.A'],
    [
      { deploy: { ...service('web').deploy, replicas: 100_000_000 } },
      /must be <= 10000/,
      'services.web.deploy.replicas',
    ],
    [
      { ports: [{ target: 80, published: '80;x', protocol: 'tcp', mode: 'host' }] },
      /must match pattern/,
      'services.web.ports.0.published',
    ],
    [{ name: 'other' }, /service web calls itself other/, 'services.web.name'],
  ];
  for (const [change, message, path] of cases) {
    const d = roundTrip(desired([service('web')]));
    d.services.web = { ...d.services.web, ...change };
    const problems = checkRestored(d, 'app', WHERE);
    t.true(problems.length > 0, path);
    t.regex(problems[0].summary, message, path);
    t.is(problems[0].where?.path, path);
    t.is(problems[0].where?.file, WHERE);
  }
});

test("the revision of another stack is refused, and the loader's cross-checks run (a dependency that is not there)", (t) => {
  const other = roundTrip(desired([service('web')], { name: 'other' }));
  t.regex(checkRestored(other, 'app', WHERE)[0].summary, /the revision is of stack other, not of app/);
  const d = roundTrip(
    desired([service('web', { dependsOn: { db: { condition: 'service_started', required: true, restart: false } } })]),
  );
  const [p] = checkRestored(d, 'app', WHERE);
  t.regex(p.summary, /service web depends on db, which is not defined/);
  t.is(p.where?.file, WHERE);
});
