/**
 * The operator's settings for stack's own overlay, checked at `validate` with where: the helper image (the
 * inventory's overlay.helper_image or --overlay-helper-image), pinned by digest and never from the stack
 * file; a host's stack.underlay label, an IPv4 address and nothing else.
 */
import test from 'ava';
import { HELPER_IMAGE_PATTERN } from '../../../src/stack/overlay-helper-image.js';
import { errors, find, load, where } from './helpers.js';
import stackSchema from '../../../schemas/stack.schema.json' with { type: 'json' };

const compose = 'services:\n  web: { image: busybox }\n';
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
const PINNED = `10.77.0.2:5000/busybox@${DIGEST}`;
const inventory = (extra: string, labels = '{}') =>
  `hosts:\n  h1: { endpoint: "unix:///run/h1.sock", labels: ${labels} }\n${extra}`;

test('the inventory names the helper image, pinned by digest; --overlay-helper-image wins over it', async (t) => {
  const r = await load(
    { 'compose.yaml': compose, 'inv.yaml': inventory(`overlay: { helper_image: "${PINNED}" }\n`) },
    { inventory: 'inv.yaml' },
  );
  t.deepEqual(errors(r), []);
  t.is(r.value!.settings.overlayHelperImage, PINNED);
  const flag = `registry.example:5000/tools/busybox:1.36@${DIGEST}`;
  const both = await load(
    { 'compose.yaml': compose, 'inv.yaml': inventory(`overlay: { helper_image: "${PINNED}" }\n`) },
    { inventory: 'inv.yaml', overlayHelperImage: flag },
  );
  t.is(both.value!.settings.overlayHelperImage, flag);
  const none = await load({ 'compose.yaml': compose, 'inv.yaml': inventory('') }, { inventory: 'inv.yaml' });
  t.is(none.value!.settings.overlayHelperImage, undefined);
});

test('a helper image by tag (which a registry can move) is refused with where and the fix, in the inventory and as a flag', async (t) => {
  const r = await load(
    { 'compose.yaml': compose, 'inv.yaml': inventory('overlay: { helper_image: "busybox:1.36" }\n') },
    { inventory: 'inv.yaml' },
  );
  const d = find(r, 'must be an image pinned by digest');
  t.is(where(d), 'inv.yaml:3:26 overlay.helper_image');
  t.is(r.value, undefined);
  const shell = await load(
    { 'compose.yaml': compose, 'inv.yaml': inventory(`overlay: { helper_image: "busybox@${DIGEST}; touch /x" }\n`) },
    { inventory: 'inv.yaml' },
  );
  t.truthy(find(shell, 'must be an image pinned by digest'));
  const flag = await load({ 'compose.yaml': compose }, { overlayHelperImage: 'busybox:1.36' });
  const f = find(flag, '--overlay-helper-image: the overlay helper image must be pinned by digest');
  t.regex(
    f.hint!,
    /overlay: \{ helper_image: REGISTRY\/busybox@sha256:DIGEST \} in the inventory, or pass --overlay-helper-image/,
  );
  t.truthy(
    find(
      await load({ 'compose.yaml': compose }, { overlayHelperImage: `x@sha256:${'A'.repeat(64)}` }),
      'is not an image reference NAME@sha256:<64 hex>',
    ),
  );
});

test('the stack file cannot name the helper image (x-stack has no such key)', async (t) => {
  const r = await load({ 'compose.yaml': `${compose}x-stack:\n  overlay: { helper_image: "${PINNED}" }\n` });
  t.is(where(find(r, 'must be one of: auto, engine, consul')), 'compose.yaml:4:3 x-stack.overlay');
  t.is(r.value, undefined);
});

test('a stack.underlay label that is not an IPv4 address fails validate with where, in the inventory and in x-stack.hosts', async (t) => {
  for (const bad of ['10.0.0.1; touch /x', '$(touch /x)', '10.0.0.256', '010.0.0.1', ' 10.0.0.1', '10.0.0.1\n']) {
    const r = await load(
      { 'compose.yaml': compose, 'inv.yaml': inventory('', `{ stack.underlay: ${JSON.stringify(bad)} }`) },
      { inventory: 'inv.yaml' },
    );
    const d = find(r, "must be the host's IPv4 address");
    t.is(where(d), 'inv.yaml:2:68 hosts.h1.labels["stack.underlay"]', bad);
    t.false(d.summary.includes('touch'), 'the value is not echoed');
  }
  const x = await load({
    'compose.yaml': `${compose}x-stack:\n  hosts:\n    h1: { endpoint: "unix:///run/h1.sock", labels: { stack.underlay: "10.0.0.1 && reboot" } }\n`,
  });
  t.is(
    where(find(x, "must be the host's IPv4 address")),
    'compose.yaml:5:70 x-stack.hosts.h1.labels["stack.underlay"]',
  );
  const good = await load(
    { 'compose.yaml': compose, 'inv.yaml': inventory('', '{ stack.underlay: 10.0.0.1 }') },
    { inventory: 'inv.yaml' },
  );
  t.deepEqual(errors(good), []);
});

test('the schema and the code agree on what a pinned helper image is', (t) => {
  const schema = stackSchema as {
    definitions: { inventory: { properties: { overlay: { properties: { helper_image: { pattern: string } } } } } };
  };
  t.is(schema.definitions.inventory.properties.overlay.properties.helper_image.pattern, HELPER_IMAGE_PATTERN);
});
