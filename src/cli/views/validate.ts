/** Output of `stack validate`: a one-line summary on success, or the diagnostics as JSON with --json. */
import { formatLocation, type Diagnostic } from '../../errors.js';
import type { DesiredState } from '../../stack/types.js';

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

export function formatValidateSummary(state: DesiredState): string {
  const count = (record: object) => Object.keys(record).length;
  return `OK ${state.name}: ${plural(count(state.services), 'service')}, ${plural(count(state.networks), 'network')}, ${plural(count(state.volumes), 'volume')}, ${plural(state.hosts.length, 'host')} (from ${state.hostsSource})`;
}

export function printValidateSummary(state: DesiredState, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(`${formatValidateSummary(state)}\n`);
}

/** `{ valid, stack?, diagnostics: [{severity, summary, file, line, column, path, hint, rule, location}] }`; `rule`: a policy rule id. */
export function formatValidateJson(state: DesiredState | undefined, diagnostics: readonly Diagnostic[]): string {
  const document = {
    valid: state !== undefined,
    ...(state
      ? {
          stack: state.name,
          services: Object.keys(state.services).length,
          networks: Object.keys(state.networks).length,
          volumes: Object.keys(state.volumes).length,
          hosts: state.hosts.map((h) => h.name),
        }
      : {}),
    diagnostics: diagnostics.map((d) => ({
      severity: d.severity,
      summary: d.summary,
      ...(d.where?.file !== undefined ? { file: d.where.file } : {}),
      ...(d.where?.line !== undefined ? { line: d.where.line } : {}),
      ...(d.where?.column !== undefined ? { column: d.where.column } : {}),
      ...(d.where?.path !== undefined ? { path: d.where.path } : {}),
      ...(d.hint !== undefined ? { hint: d.hint } : {}),
      ...(d.detail !== undefined ? { detail: d.detail } : {}),
      ...(d.rule !== undefined ? { rule: d.rule } : {}),
      location: formatLocation(d.where),
    })),
  };
  return JSON.stringify(document, null, 2);
}

export function printValidateJson(
  state: DesiredState | undefined,
  diagnostics: readonly Diagnostic[],
  stream: NodeJS.WritableStream = process.stdout,
): void {
  stream.write(`${formatValidateJson(state, diagnostics)}\n`);
}
