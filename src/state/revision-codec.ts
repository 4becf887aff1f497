/**
 * A revision record as stored: a manifest plus chunks. A record whose JSON fits in one value is stored as
 * one `json` chunk; a larger one is zlib-compressed and split into chunks below Consul's 512 KiB value limit.
 * Chunks are written first and the manifest last, so a reader that trusts only manifests never sees half a
 * record. Chunks are base64 text: Consul's KV API and the consul package carry strings.
 */
import { createHash } from 'node:crypto';
import { deflateSync, inflateSync } from 'node:zlib';
import type { RevisionManifest, RevisionRecord, RevisionSummary } from './types.js';
import { MAX_RECORD_BYTES, parseRecord, StoredDataError } from './stored.js';
import { hashStored } from './revision.js';

/** Consul's limit for one KV value. */
export const VALUE_LIMIT = 512 * 1024;
/** Raw bytes per chunk: base64 grows them by 4/3, staying well below the limit. */
export const CHUNK_BYTES = 360 * 1024;

/** What a manifest says of its revision, without how it is stored (encoding, chunks, their size, hash and folder). */
export function summaryOf(manifest: RevisionManifest): RevisionSummary {
  const { encoding: _e, chunks: _c, bytes: _b, sha256: _s, chunkDir: _d, ...summary } = manifest;
  return summary;
}

export interface EncodedRevision {
  manifest: RevisionManifest;
  chunks: string[];
}

export function encodeRevision(record: RevisionRecord, chunkBytes = CHUNK_BYTES, limit = VALUE_LIMIT): EncodedRevision {
  const { desired: _desired, ...summary } = record;
  const json = Buffer.from(JSON.stringify(record), 'utf8');
  const small = json.length <= limit && Math.ceil(json.length / 3) * 4 <= limit;
  const body = small ? json : deflateSync(json, { level: 9 });
  const chunks: string[] = [];
  const size = small ? body.length : chunkBytes;
  for (let i = 0; i < body.length || i === 0; i += size) chunks.push(body.subarray(i, i + size).toString('base64'));
  const manifest: RevisionManifest = {
    ...summary,
    encoding: small ? 'json' : 'zlib',
    chunks: chunks.length,
    bytes: body.length,
    sha256: createHash('sha256').update(body).digest('hex'),
  };
  return { manifest, chunks };
}

/**
 * The record from its manifest and chunks read from `key` (for messages), checked all the way: chunk count,
 * bytes and sha256 against the manifest, the inflated size capped, the record's shape (stored.ts), its number
 * and hash the manifest's, and its stack hashing to that hash.
 */
export function decodeRevision(
  manifest: RevisionManifest,
  chunks: string[],
  key = `revision ${manifest.number}`,
): RevisionRecord {
  if (chunks.length !== manifest.chunks)
    throw new StoredDataError(key, `${chunks.length} of ${manifest.chunks} chunks found`);
  const body = Buffer.concat(chunks.map((c) => Buffer.from(c, 'base64')));
  const sha = createHash('sha256').update(body).digest('hex');
  if (body.length !== manifest.bytes || sha !== manifest.sha256)
    throw new StoredDataError(key, 'its chunks do not match the manifest (damaged or partly written)');
  let value: unknown;
  try {
    const json = manifest.encoding === 'zlib' ? inflateSync(body, { maxOutputLength: MAX_RECORD_BYTES }) : body;
    value = JSON.parse(json.toString('utf8'));
  } catch {
    throw new StoredDataError(key, `its record is not JSON or inflates to more than ${MAX_RECORD_BYTES} bytes`);
  }
  const record = parseRecord(key, value, manifest);
  if (hashStored(record.desired) !== record.hash)
    throw new StoredDataError(key, 'its stack does not hash to the hash it records');
  return record;
}
