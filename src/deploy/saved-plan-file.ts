/**
 * Reading a saved plan file (`stack apply FILE`): it may have been tampered with, so it is read as untrusted
 * input — a regular file under a size limit, JSON, every field checked against the format. Nothing in it says
 * where hosts, Consul or credentials are: it is only compared with what this run loads and observes itself.
 */
import { ExitError } from '../errors.js';
import { describeRefusal, readOperatorFile } from '../stack/bounded-file.js';
import type { StoredDesired } from '../state/types.js';
import { SAVED_PLAN_FORMAT, SAVED_PLAN_VERSION, type SavedPlan, type SavedRevision } from './saved-plan.js';

/** A saved plan holds the normalised stack with configs' bytes: the stack file's own limit, a few times over. */
export const SAVED_PLAN_LIMIT = 32 * 1024 * 1024;

const SHA256 = /^[0-9a-f]{64}$/;

/** A field of the file that is not what the format says. */
class Malformed extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path}: expected ${expected}`);
  }
}

type Json = Record<string, unknown>;

function object(value: unknown, path: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Malformed(path, 'an object');
  return value as Json;
}

function text(value: unknown, path: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new Malformed(path, 'a non-empty string');
  return value;
}

function hex(value: unknown, path: string): string {
  if (typeof value !== 'string' || !SHA256.test(value)) throw new Malformed(path, 'a sha256 in hex (64 characters)');
  return value;
}

function flag(value: unknown, path: string): boolean {
  if (typeof value !== 'boolean') throw new Malformed(path, 'true or false');
  return value;
}

function hashes(value: unknown, path: string): Record<string, string> {
  const record = object(value, path);
  for (const [k, v] of Object.entries(record)) hex(v, `${path}.${k}`);
  return record as Record<string, string>;
}

function revision(value: unknown): SavedRevision | null {
  if (value === null) return null;
  const r = object(value, 'revision');
  if (typeof r.number !== 'number' || !Number.isSafeInteger(r.number) || r.number < 1)
    throw new Malformed('revision.number', 'a whole number from 1');
  return { number: r.number, hash: hex(r.hash, 'revision.hash') };
}

function desired(value: unknown): StoredDesired {
  const d = object(value, 'desired');
  text(d.name, 'desired.name');
  text(d.workingDir, 'desired.workingDir');
  for (const k of ['services', 'networks', 'volumes', 'configs', 'secrets']) object(d[k], `desired.${k}`);
  return d as unknown as StoredDesired;
}

/** The file's value as a SavedPlan, or Malformed naming the first field that is not. */
export function savedPlanFrom(value: unknown): SavedPlan {
  const doc = object(value, '(the document)');
  if (doc.format !== SAVED_PLAN_FORMAT) throw new Malformed('format', `"${SAVED_PLAN_FORMAT}"`);
  if (doc.version !== SAVED_PLAN_VERSION) throw new Malformed('version', `${SAVED_PLAN_VERSION}`);
  return {
    format: SAVED_PLAN_FORMAT,
    version: SAVED_PLAN_VERSION,
    stack: text(doc.stack, 'stack'),
    created: text(doc.created, 'created'),
    store: text(doc.store, 'store'),
    revision: revision(doc.revision),
    refresh: flag(doc.refresh, 'refresh'),
    inputs: hashes(doc.inputs, 'inputs'),
    observed: hashes(doc.observed, 'observed'),
    planHash: hex(doc.planHash, 'planHash'),
    desired: desired(doc.desired),
    plan: object(doc.plan, 'plan'),
  };
}

function invalid(file: string, summary: string, path?: string): ExitError {
  return new ExitError(1, [
    {
      severity: 'error',
      summary: `saved plan ${file} is not a plan stack can apply: ${summary}`,
      where: { file, ...(path ? { path } : {}) },
      detail: 'nothing was changed on any host',
      hint: 'make the plan again with stack plan -o FILE (the file must be as plan wrote it)',
    },
  ]);
}

/** Parses the text of a saved plan file; an ExitError with one clear diagnostic when it is not one. */
export function parseSavedPlan(source: string, file: string): SavedPlan {
  let value: unknown;
  try {
    value = JSON.parse(source);
  } catch (err) {
    throw invalid(file, `not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  try {
    return savedPlanFrom(value);
  } catch (err) {
    if (err instanceof Malformed) throw invalid(file, err.message, err.path);
    throw err;
  }
}

/** Reads and parses a saved plan file (a regular file, ≤ SAVED_PLAN_LIMIT). */
export function readSavedPlan(file: string): SavedPlan {
  const read = readOperatorFile(file, SAVED_PLAN_LIMIT);
  if (!read.ok) {
    const { summary, hint } = describeRefusal('saved plan', file, read.refusal);
    throw new ExitError(1, [{ severity: 'error', summary, hint, detail: 'nothing was changed on any host' }]);
  }
  return parseSavedPlan(read.bytes.toString('utf8'), file);
}
