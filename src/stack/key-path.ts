/** A path into the stack file's tree, e.g. `['services', 'web', 'ports', 0]`, and its printed form. */
export type KeyPath = readonly (string | number)[];

const PLAIN_KEY = /^[A-Za-z0-9_-]+$/;

/** Prints a key path as `services.web.ports[0]` (keys that are not plain words are quoted: `labels["a.b"]`). */
export function formatKeyPath(path: KeyPath): string {
  let text = '';
  for (const segment of path) {
    if (typeof segment === 'number') text += `[${segment}]`;
    else if (PLAIN_KEY.test(segment)) text += text ? `.${segment}` : segment;
    else text += `[${JSON.stringify(segment)}]`;
  }
  return text;
}

/** Parses a JSON pointer as ajv reports it (`/services/web/ports/0`) into a key path against `root`. */
export function keyPathFromPointer(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const path: (string | number)[] = [];
  let node: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const key = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (Array.isArray(node)) {
      const index = Number(key);
      path.push(index);
      node = node[index];
    } else {
      path.push(key);
      node = isRecord(node) ? node[key] : undefined;
    }
  }
  return path;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}

/**
 * A value of the stack file as text, the way the loader always wrote it (`String(value)`): after the schema, a
 * scalar (string, number, boolean). Typed `unknown` on purpose — what the parsed YAML holds is not known to tsc.
 */
export function scalarText(value: unknown): string {
  return String(value);
}
