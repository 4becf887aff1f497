/**
 * Golden plans of real stack files: every examples/<name>/compose.yaml and test/fixtures/stacks/<name>/compose.yaml,
 * loaded as `stack plan` loads them, planned against three empty hosts (fresh deploy), against what that deploy
 * leaves behind (no-op), after a change of every service's environment (rollouts), and with the stack removed
 * (destroy). Text and `--json`, byte for byte: a refactor of the planner must not change one of them.
 */
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import test from 'ava';
import { loadStack } from '../../../src/stack/index.js';
import { reconcile } from '../../../src/plan/index.js';
import type { DesiredState } from '../../../src/stack/types.js';
import type { ObservedState } from '../../../src/observe/types.js';
import { parseKv } from '../../../src/overlay/state.js';
import { describe, schema, writeTree } from '../stack/helpers.js';
import { observedEmpty, simulate, DIGEST, IMAGE } from './helpers.js';
import { goldenPlan } from './golden.js';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const env = { GRAFANA_ADMIN_PASSWORD: 'admin-pw', HOME: '/home/test' };

// The sandbox's hosts and labels (the examples are placed by them), on endpoints no test reaches.
const inventory = path.join(
  writeTree({
    'inventory.yaml': [
      'hosts:',
      '  h1: { endpoint: "unix:///run/golden/h1/docker.sock", labels: { stack.underlay: 10.0.0.11, role: web, pool: main, zone: a } }',
      '  h2: { endpoint: "unix:///run/golden/h2/docker.sock", labels: { stack.underlay: 10.0.0.12, role: web, pool: main, zone: b } }',
      '  h3: { endpoint: "unix:///run/golden/h3/docker.sock", labels: { stack.underlay: 10.0.0.13, role: db, pool: main, zone: c } }',
      '  h4: { endpoint: "unix:///run/golden/h4/docker.sock", labels: { stack.underlay: 10.0.0.14, role: queue, pool: spare, zone: c } }',
      'overlay: { helper_image: "10.77.0.2:5000/busybox@sha256:3333333333333333333333333333333333333333333333333333333333333333" }',
      // examples/build: its services planned by the repository they are pushed to (the build step is not run here).
      'registry: 10.77.0.2:5000',
      'builder: h1',
      '',
    ].join('\n'),
  }),
  'inventory.yaml',
);

const stacks = [
  ...listed('examples').map((name) => ({ name: `example-${name}`, dir: path.join(repo, 'examples', name) })),
  ...listed('test/fixtures/stacks').map((name) => ({
    name: `fixture-${name}`,
    dir: path.join(repo, 'test/fixtures/stacks', name),
  })),
];

function listed(folder: string): string[] {
  return readdirSync(path.join(repo, folder))
    .filter((name) => existsSync(path.join(repo, folder, name, 'compose.yaml')))
    .sort();
}

/** Every image the stack names resolves to one digest, as if the registry had it. */
function digestsOf(d: DesiredState): Record<string, string> {
  return Object.fromEntries([IMAGE, ...Object.values(d.services).map((s) => s.image)].map((image) => [image, DIGEST]));
}

/** No cluster store on any daemon, and Consul's overlay state observed empty (nothing allocated yet). */
function withoutClusterStore(o: ObservedState): ObservedState {
  for (const h of Object.values(o.hosts)) h.engine = { clusterStore: '', clusterAdvertise: '' };
  o.overlay = { consul: 'http://10.0.0.2:8500', kv: parseKv([]), registered: {} };
  return o;
}

function changedEnvironment(d: DesiredState): DesiredState {
  const changed = structuredClone(d);
  for (const s of Object.values(changed.services)) s.environment = { ...s.environment, GOLDEN_RELEASE: 'v2' };
  return changed;
}

for (const { name, dir } of stacks) {
  test(`golden plans: ${name}`, async (t) => {
    const loaded = await loadStack({ cwd: dir, env, schema, inventory });
    t.deepEqual(loaded.diagnostics.filter((d) => d.severity === 'error').map(describe), []);
    const d = loaded.value!;
    const redact = (text: string) =>
      text.split(dir).join('<project>').split(path.dirname(inventory)).join('<inventory>');
    const fresh = reconcile(d, observedEmpty(d, digestsOf(d)));
    goldenPlan(t, `corpus/${name}.fresh`, fresh, { operations: true }, redact);
    const deployed = simulate(fresh, observedEmpty(d, digestsOf(d)));
    const noop = reconcile(d, deployed);
    goldenPlan(t, `corpus/${name}.noop`, noop, { operations: true }, redact);
    goldenPlan(
      t,
      `corpus/${name}.env-change`,
      reconcile(changedEnvironment(d), deployed),
      { operations: true },
      redact,
    );
    goldenPlan(
      t,
      `corpus/${name}.destroy`,
      // As `stack destroy` loads it: the policy read, not checked (nothing is created).
      reconcile({ ...d, services: {}, networks: {}, volumes: {}, policy: undefined }, deployed),
      { operations: true },
      redact,
    );
    // Hosts without a cluster store: overlay networks are stack's own (VXLAN, Consul).
    const bare = withoutClusterStore(observedEmpty(d, digestsOf(d)));
    const ownFresh = reconcile(d, bare);
    goldenPlan(t, `corpus/${name}.own-overlay-fresh`, ownFresh, { operations: true }, redact);
    goldenPlan(
      t,
      `corpus/${name}.own-overlay-env-change`,
      reconcile(changedEnvironment(d), simulate(ownFresh, bare)),
      { operations: true },
      redact,
    );
  });
}
