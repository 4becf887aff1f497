/**
 * Output of `stack config`: the normalised desired state as YAML (like `docker compose config`). Secret and
 * config content is never printed: only where it came from and its sha256.
 */
import { stringify } from 'yaml';
import type { DesiredState, FileObjectSpec } from '../../stack/types.js';

function masked(objects: Record<string, FileObjectSpec>): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const [key, object] of Object.entries(objects)) {
    const { content, contentHash, ...rest } = object;
    result[key] = { ...rest, ...(content ? { content: `<${content.length} bytes, not shown>` } : {}), ...(contentHash ? { contentHash: `sha256:${contentHash}` } : {}) };
  }
  return result;
}

export function formatConfig(state: DesiredState): string {
  const printable = { ...state, secrets: masked(state.secrets), configs: masked(state.configs) };
  return stringify(printable, { lineWidth: 0, aliasDuplicateObjects: false });
}

export function printConfig(state: DesiredState, stream: NodeJS.WritableStream = process.stdout): void {
  stream.write(formatConfig(state));
}
