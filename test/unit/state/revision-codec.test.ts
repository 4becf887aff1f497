/** Revision records as chunks plus manifest: one json chunk when small, zlib chunks under 512 KiB when large. */
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { decodeRevision, encodeRevision, VALUE_LIMIT } from '../../../src/state/revision-codec.js';
import type { RevisionRecord } from '../../../src/state/types.js';
import { hashStored } from '../../../src/state/revision.js';

function record(extra: Record<string, unknown> = {}): RevisionRecord {
  const desired = {
    name: 's',
    workingDir: '/w',
    services: { web: { image: 'x', ...extra } },
    networks: {},
    volumes: {},
    configs: {},
    secrets: {},
  };
  return {
    number: 3,
    hash: hashStored(desired),
    result: 'ok',
    command: 'apply',
    who: 'me@here',
    when: '2026-01-01T00:00:00.000Z',
    plan: { create: 1, replace: 0, update: 0, remove: 0, operations: 3 },
    desired,
  };
}

test('a small record is one json chunk; the manifest carries the summary, not the stack', (t) => {
  const { manifest, chunks } = encodeRevision(record());
  t.is(manifest.encoding, 'json');
  t.is(chunks.length, 1);
  t.is(manifest.number, 3);
  t.false('desired' in manifest);
  t.deepEqual(decodeRevision(manifest, chunks), record());
});

test('a record over 512 KiB is compressed and split; every chunk stays under the value limit', (t) => {
  const big = record({ blob: randomBytes(900 * 1024).toString('base64') });
  t.true(JSON.stringify(big).length > VALUE_LIMIT);
  const { manifest, chunks } = encodeRevision(big);
  t.is(manifest.encoding, 'zlib');
  t.true(chunks.length > 1);
  for (const c of chunks) t.true(c.length <= VALUE_LIMIT);
  t.deepEqual(decodeRevision(manifest, chunks), big);
});

test('missing or damaged chunks are refused, never half-read', (t) => {
  const big = record({ blob: randomBytes(900 * 1024).toString('base64') });
  const { manifest, chunks } = encodeRevision(big);
  t.throws(() => decodeRevision(manifest, chunks.slice(1)), { message: /chunks found/ });
  const swapped = [...chunks];
  [swapped[0], swapped[1]] = [swapped[1], swapped[0]];
  t.throws(() => decodeRevision(manifest, swapped), { message: /do not match the manifest/ });
});
