/**
 * The examples pass on Engine 28 hosts (issue 21): the same checks as examples.test.ts and examples-overlay.test.ts
 * (examples-cases.ts), applied to the `vx` instance — Engine 28, no cluster store, so web-db's `driver: overlay`
 * network is stack's own (VXLAN, Consul; x-stack.overlay auto). The helpers read the sandbox from
 * STACK_SANDBOX_JSON when called; this file (its own process) points it at vx before any test runs.
 */
import { join } from 'node:path';
import test from 'ava';
import { repoRoot, sandboxInstanceUp, VX_UP_ARGS } from '../helpers/sandbox.js';
import { sandbox } from './reconcile-helpers.js';
import { ensureBuilt } from './cli-helpers.js';
import { BUILD, build, REPLICATED, replicated, VOLUME_SECRET, volumeSecret, WEB_DB, webDb } from './examples-cases.js';

test.before((t) => {
  ensureBuilt();
  const vx = sandboxInstanceUp('vx', VX_UP_ARGS);
  process.env.STACK_SANDBOX_JSON = process.env.STACK_SANDBOX_JSON_VX ?? join(repoRoot, '.sandbox-vx', 'sandbox.json');
  // What the checks will see: vx's hosts (Engine 28) and its Consul, not the default instance's.
  t.is(vx.engine, '28', 'the vx instance runs Engine 28');
  t.is(sandbox().consul.http, vx.consul.http);
});

const onVx = (title: string) => `Engine 28 (vx, stack's own overlay): ${title}`;
test(onVx(REPLICATED), replicated);
test(onVx(VOLUME_SECRET), volumeSecret);
test(onVx(WEB_DB), webDb);
test(onVx(BUILD), build);
