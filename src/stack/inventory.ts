/**
 * The inventory (`-i FILE`): the hosts of one environment, in the shape the sandbox writes to
 * `.sandbox/inventory.yaml`:
 *
 *   hosts:
 *     h1: { endpoint: "tcp://10.77.0.11:2376", tls: { ca: ca.pem, cert: cert.pem, key: key.pem }, labels: { role: web } }
 *     h2: { endpoint: "unix:///run/stack-sandbox/h2/docker.sock", labels: {} }
 *   consul: "http://10.77.0.2:8500"
 *
 * Relative TLS paths resolve against the inventory file's folder.
 */
import path from 'node:path';
import { describeRefusal, readOperatorFile, STACK_FILE_LIMIT } from './bounded-file.js';
import type { HostSpec } from './types.js';
import { readHostMap } from './hosts.js';
import type { MergeTags } from './merge-tags.js';
import type { Problems } from './problems.js';
import type { StackSchema } from './schema.js';
import { readYamlFile } from './yaml-file.js';

export interface Inventory {
  hosts: HostSpec[];
  consul?: string;
}

export function readInventory(
  file: string,
  displayName: string,
  schema: StackSchema,
  problems: Problems,
  tags: MergeTags,
): Inventory | undefined {
  const read = readOperatorFile(file, STACK_FILE_LIMIT);
  if (!read.ok) {
    const { summary, hint } = describeRefusal('inventory file', displayName, read.refusal);
    problems.add({ severity: 'error', summary, hint, where: { file: displayName } });
    return undefined;
  }
  const parsed = readYamlFile(read.bytes, displayName, problems.positions, tags);
  for (const d of parsed.diagnostics) problems.add(d);
  if (!parsed.value) return undefined;
  const root = parsed.value;
  const schemaProblems = schema.validate('inventory', root);
  for (const p of schemaProblems) problems.error(p.path, p.message, { atKey: p.atKey, hint: p.hint, in: root });
  if (schemaProblems.length) return undefined;
  const hosts = readHostMap(root.hosts as Record<string, unknown>, path.dirname(file), problems, { root, path: ['hosts'] });
  if (!hosts.length) {
    problems.error(['hosts'], 'the inventory lists no hosts', { in: root });
    return undefined;
  }
  return { hosts, consul: typeof root.consul === 'string' ? root.consul : undefined };
}
