/**
 * known_hosts, as OpenSSH reads it (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"), parsed once and matched. Pure, apart
 * from reading the files in `readKnownHosts`.
 *
 * A line: `[@marker] patterns keytype base64-key [comment]`. Patterns are comma-separated: a name or address
 * (`[host]:port` when the port is not 22), `*` and `?` wildcards, `!` negating, or a hashed name
 * `|1|base64(salt)|base64(HMAC-SHA1(salt, name))`. `@revoked` marks a key refused for every host; lines with
 * `@cert-authority` are skipped (host certificates are not supported: such a host is unknown, never accepted).
 */
import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface KnownKey {
  /** Where the line is, for messages: FILE:LINE. */
  where: string;
  marker?: 'revoked';
  patterns: string[];
  type: string;
  /** The key's wire form (what the server sends). */
  blob: Buffer;
}

/** What a host's key is, against known_hosts. */
export type HostKeyVerdict =
  | { kind: 'known'; where: string }
  | { kind: 'unknown' }
  | { kind: 'changed'; known: { type: string; where: string }[] }
  | { kind: 'revoked'; where: string };

/** The lines of one known_hosts text; lines that are not entries (comments, blanks, bad base64) are skipped, as ssh does. */
export function parseKnownHosts(text: string, file: string): KnownKey[] {
  const keys: KnownKey[] = [];
  text.split('\n').forEach((raw, index) => {
    const fields = raw.trim().split(/\s+/);
    if (fields[0] === '' || fields[0].startsWith('#')) return;
    const marker = fields[0].startsWith('@') ? fields.shift() : undefined;
    if (marker !== undefined && marker !== '@revoked') return;
    const [patterns, type, base64] = fields;
    if (!patterns || !type || !base64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(base64)) return;
    const blob = Buffer.from(base64, 'base64');
    keys.push({
      where: `${file}:${index + 1}`,
      ...(marker ? { marker: 'revoked' as const } : {}),
      patterns: patterns.split(','),
      type,
      blob,
    });
  });
  return keys;
}

/** Reads and parses every file that exists; a missing file holds no keys (as for ssh). */
export function readKnownHosts(files: readonly string[]): KnownKey[] {
  return files.flatMap((file) => {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return parseKnownHosts(text, file);
  });
}

/** The name a host is looked up under: `host`, or `[host]:port` when the port is not 22. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** Does one line's pattern list name this host? A matching negated pattern wins over every other. */
export function patternsMatch(patterns: readonly string[], name: string): boolean {
  let matched = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (!patternMatches(body, name)) continue;
    if (negated) return false;
    matched = true;
  }
  return matched;
}

function patternMatches(pattern: string, name: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [salt, hash] = pattern.slice(3).split('|');
    if (!salt || !hash) return false;
    const mac = createHmac('sha1', Buffer.from(salt, 'base64')).update(name).digest('base64');
    return mac === hash;
  }
  const re = new RegExp(
    `^${pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('')}$`,
    'i',
  );
  return re.test(name);
}

/** The verdict on the key `blob` a host presented under `name` (knownHostsName). */
export function verifyHostKey(keys: readonly KnownKey[], name: string, blob: Buffer): HostKeyVerdict {
  const revoked = keys.find((k) => k.marker === 'revoked' && k.blob.equals(blob));
  if (revoked) return { kind: 'revoked', where: revoked.where };
  const forHost = keys.filter((k) => k.marker === undefined && patternsMatch(k.patterns, name));
  const same = forHost.find((k) => k.blob.equals(blob));
  if (same) return { kind: 'known', where: same.where };
  if (forHost.length === 0) return { kind: 'unknown' };
  return { kind: 'changed', known: forHost.map((k) => ({ type: k.type, where: k.where })) };
}

/** The key types known_hosts holds for a host, so that the server is asked for one of those first (as ssh does). */
export function knownTypes(keys: readonly KnownKey[], name: string): string[] {
  const types = keys.filter((k) => k.marker === undefined && patternsMatch(k.patterns, name)).map((k) => k.type);
  return [...new Set(types)];
}

/** OpenSSH's fingerprint of a key: `SHA256:` and the unpadded base64 of the SHA-256 of its wire form. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

/** The key type a wire-form key names (its first string), for messages. */
export function keyType(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const length = blob.readUInt32BE(0);
  return length > 0 && length < 64 && blob.length >= 4 + length
    ? blob.subarray(4, 4 + length).toString('latin1')
    : 'unknown';
}
