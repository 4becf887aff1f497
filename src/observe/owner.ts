/**
 * Ownership of Docker objects: an object is the stack's own only when its labels carry the stack's name and this
 * run's identity. Everything else — other stacks, hand-made objects, objects with the stack's labels but another
 * identity or none (made by hand, by a second stack of the same name, or by a stack version before identities) —
 * is foreign: observed, never touched. Pure.
 */
import { Labels, type StackOwner } from '../labels.js';

type LabelSet = Record<string, string> | null | undefined;

/** Carries stack's labels for this stack name, whoever made it. */
export function hasStackLabels(labels: LabelSet, stack: string): boolean {
  return labels?.[Labels.managed] === 'true' && labels[Labels.stack] === stack;
}

/** Is the object this stack identity's own? Never without an identity: before the first apply nothing is. */
export function isOwn(labels: LabelSet, stack: string, owner: StackOwner | undefined): boolean {
  return !!owner && hasStackLabels(labels, stack) && labels?.[Labels.owner] === owner.id;
}

/** C0 and C1 control characters (and DEL). */
function isControl(code: number): boolean {
  return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
}

/** A label value as messages may quote it: anyone can write labels, so no control characters, and not too long. */
export function printable(value: string): string {
  const clean = [...value].map((ch) => (isControl(ch.charCodeAt(0)) ? '?' : ch)).join('');
  return clean.length > 200 ? `${clean.slice(0, 200)}…` : clean;
}

/** The identity written on an object, if any (as messages may show it). */
export function ownerOf(labels: LabelSet): StackOwner | undefined {
  const id = labels?.[Labels.owner];
  return id ? { id: printable(id), state: printable(labels?.[Labels.ownerState] ?? 'unknown') } : undefined;
}
