/**
 * The deploy layer refuses a state whose build: services have no image by digest yet (a library caller that skipped
 * the build step would otherwise deploy REPOSITORY:latest); the build step leaves no build: behind.
 */
import test from 'ava';
import { ExitError } from '../../../src/errors.js';
import { deploy, type DeployOptions } from '../../../src/deploy/deploy.js';
import { resolveBuilds } from '../../../src/build/images.js';
import { desired, service } from '../plan/helpers.js';

const build = { context: '/nowhere', dockerfile: 'Dockerfile', args: {}, labels: {} };

test('deploy refuses services with build: not yet resolved, naming them, before any host is asked', async (t) => {
  const d = desired([service('web', { image: '10.77.0.2:5000/app-web', build }), service('db')]);
  const e = await t.throwsAsync(() => deploy(d, { destroy: false } as DeployOptions), { instanceOf: ExitError });
  t.regex(e.message, /services web have build: but no image by digest yet/);
});

test('without build: services (or without the inventory build target) the build step hands the state on unchanged', async (t) => {
  const d = desired([service('db')]);
  const none = { get: () => Promise.resolve(undefined), needsHelper: () => false, configured: () => false };
  const r = await resolveBuilds(d, { mode: 'build', credentials: none });
  t.is(r.desired, d);
  t.deepEqual(r.images, []);
});
