/**
 * One file's verdict: both loaders' results compared. `agree`: both take it and every field both represent is equal;
 * `differ`: a field differs, stack refuses what Compose takes, or takes what Compose refuses — explained when the docs
 * say why (explained.ts), else a bug; `refused by design`: every stack error is a documented refusal; `both refuse`.
 */
import type { DesiredState, LoadResult } from '../../src/stack/types.js';
import type { ComposeResult } from './compose-load.js';
import { explainAccept, explainDifference, explainRefusal, refusedKeys } from './explained.js';
import { compareProjects } from './mapping/index.js';

export type VerdictKind = 'agree' | 'differ' | 'refused by design' | 'both refuse' | 'compose refuses only';

export interface Verdict {
  kind: VerdictKind;
  /** What differs or what was refused, one line each. */
  details: string[];
  /** For differ and compose refuses only: true when docs/stack-file.md explains every detail. */
  explained: boolean;
}

const REFUSED = refusedKeys();

function stackErrors(result: LoadResult): string[] {
  return result.diagnostics.filter((d) => d.severity === 'error').map((d) => d.summary);
}

function refusedByStack(errors: string[]): Verdict {
  const explanations = errors.map((e) => [e, explainRefusal(e, REFUSED)] as const);
  const unexplained = explanations.filter(([, why]) => why === undefined).map(([e]) => `stack refuses: ${e}`);
  if (unexplained.length) return { kind: 'differ', details: unexplained, explained: false };
  return { kind: 'refused by design', details: explanations.map(([e, why]) => `${e} (docs: ${why})`), explained: true };
}

function compared(compose: Extract<ComposeResult, { ok: true }>, stack: DesiredState): Verdict {
  const differences = compareProjects(compose.project, stack);
  if (!differences.length) return { kind: 'agree', details: [], explained: true };
  const details = differences.map((d) => {
    const why = explainDifference(d.path);
    return `${d.path}: compose-go ${JSON.stringify(d.compose)}, stack ${JSON.stringify(d.stack)}${why ? ` (docs: ${why})` : ''}`;
  });
  return { kind: 'differ', details, explained: differences.every((d) => explainDifference(d.path) !== undefined) };
}

export function classify(compose: ComposeResult, stack: LoadResult): Verdict {
  const errors = stackErrors(stack);
  if (!compose.ok) {
    if (errors.length) return { kind: 'both refuse', details: [], explained: true };
    const why = explainAccept(compose.error);
    const detail = `compose-go refuses: ${compose.error.split('\n').pop()}${why ? ` (docs: ${why})` : ''}`;
    return { kind: 'compose refuses only', details: [detail], explained: why !== undefined };
  }
  if (errors.length || !stack.value) return refusedByStack(errors);
  return compared(compose, stack.value);
}
