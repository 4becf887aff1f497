/**
 * known_hosts as OpenSSH reads it: plain, hashed (made by ssh-keygen -H), [host]:port, wildcards and negation,
 * @revoked, @cert-authority skipped; a key is known, unknown, changed or revoked, and a refusal names the host
 * and the presented key's SHA256 fingerprint exactly as ssh-keygen -l prints it.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {
  fingerprint,
  keyType,
  knownHostsName,
  knownTypes,
  parseKnownHosts,
  patternsMatch,
  verifyHostKey,
} from '../../../src/docker/ssh/known-hosts.js';
import { hostKeyRefusal } from '../../../src/docker/ssh/connection.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-known-hosts-'));

/** A fresh ed25519 key pair by ssh-keygen: its public line, wire-form blob and fingerprint as ssh-keygen prints it. */
function key(name: string): { line: string; blob: Buffer; printed: string } {
  const file = path.join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
  const line = readFileSync(`${file}.pub`, 'utf8').trim();
  const printed = execFileSync('ssh-keygen', ['-l', '-f', `${file}.pub`], { encoding: 'utf8' }).split(' ')[1];
  return { line, blob: Buffer.from(line.split(' ')[1], 'base64'), printed };
}

const a = key('a');
const b = key('b');
const pub = (k: { line: string }) => k.line.split(' ').slice(0, 2).join(' ');

test('the fingerprint and key type of a wire-form key are what ssh-keygen -l prints', (t) => {
  t.is(fingerprint(a.blob), a.printed);
  t.regex(a.printed, /^SHA256:[A-Za-z0-9+/]{43}$/);
  t.is(keyType(a.blob), 'ssh-ed25519');
  t.is(keyType(Buffer.from('xx')), 'unknown');
});

test('plain names, [host]:port for other ports, wildcards, negation; comments and broken lines skipped', (t) => {
  const keys = parseKnownHosts(
    [
      '# comment',
      '',
      `box.example.com,10.0.0.1 ${pub(a)} a comment`,
      `[10.0.0.2]:2222 ${pub(a)}`,
      `*.lan,!secret.lan ${pub(b)}`,
      'broken line',
      `bad ssh-ed25519 not*base64`,
    ].join('\n'),
    'kh',
  );
  t.is(keys.length, 3);
  t.is(knownHostsName('10.0.0.2', 22), '10.0.0.2');
  t.is(knownHostsName('10.0.0.2', 2222), '[10.0.0.2]:2222');
  t.deepEqual(verifyHostKey(keys, 'box.example.com', a.blob), { kind: 'known', where: 'kh:3' });
  t.deepEqual(verifyHostKey(keys, 'BOX.example.com', a.blob), { kind: 'known', where: 'kh:3' });
  t.deepEqual(verifyHostKey(keys, '10.0.0.1', a.blob), { kind: 'known', where: 'kh:3' });
  t.deepEqual(verifyHostKey(keys, '[10.0.0.2]:2222', a.blob), { kind: 'known', where: 'kh:4' });
  t.deepEqual(verifyHostKey(keys, '10.0.0.2', a.blob), { kind: 'unknown' }, 'port 22 is another entry');
  t.deepEqual(verifyHostKey(keys, 'web.lan', b.blob), { kind: 'known', where: 'kh:5' });
  t.deepEqual(verifyHostKey(keys, 'secret.lan', b.blob), { kind: 'unknown' }, 'a negated pattern wins');
  t.true(patternsMatch(['h?.lan'], 'h1.lan'));
  t.false(patternsMatch(['h?.lan'], 'h12.lan'));
  t.false(patternsMatch(['box.example.com'], 'boxXexample.com'), 'a dot is a dot');
});

test('hashed entries (ssh-keygen -H) match their host only', (t) => {
  const file = path.join(dir, 'hashed');
  writeFileSync(file, `10.77.0.11 ${pub(a)}\n[10.77.0.12]:2222 ${pub(b)}\n`);
  execFileSync('ssh-keygen', ['-q', '-H', '-f', file]);
  const text = readFileSync(file, 'utf8');
  t.notRegex(text, /10\.77/);
  const keys = parseKnownHosts(text, file);
  t.is(verifyHostKey(keys, '10.77.0.11', a.blob).kind, 'known');
  t.is(verifyHostKey(keys, '[10.77.0.12]:2222', b.blob).kind, 'known');
  t.is(verifyHostKey(keys, '10.77.0.13', a.blob).kind, 'unknown');
  t.deepEqual(knownTypes(keys, '10.77.0.11'), ['ssh-ed25519']);
});

test('another key for a known host is "changed", naming where the known one is; @revoked refuses; @cert-authority is skipped', (t) => {
  const keys = parseKnownHosts(
    [`box ${pub(a)}`, `@revoked * ${pub(b)}`, `@cert-authority *.lan ${pub(a)}`].join('\n'),
    'kh',
  );
  t.deepEqual(verifyHostKey(keys, 'box', b.blob), { kind: 'revoked', where: 'kh:2' });
  const c = key('c');
  t.deepEqual(verifyHostKey(keys, 'box', c.blob), { kind: 'changed', known: [{ type: 'ssh-ed25519', where: 'kh:1' }] });
  t.deepEqual(verifyHostKey(keys, 'web.lan', a.blob), { kind: 'unknown' }, 'host certificates are not supported');
});

test('a refusal names the host and the presented key fingerprint, and what to do; a known key is no refusal', (t) => {
  const keys = parseKnownHosts(`10.0.0.1 ${pub(a)}\n`, '/etc/kh');
  const e = { host: '10.0.0.1', port: 22, knownHosts: ['/etc/kh'] };
  t.is(hostKeyRefusal(e, keys, '10.0.0.1', a.blob), undefined);
  const changed = hostKeyRefusal(e, keys, '10.0.0.1', b.blob)!;
  t.is(changed.name, 'SshHostKeyError');
  t.true(changed.message.startsWith(`ssh 10.0.0.1: HOST KEY CHANGED: it presents ssh-ed25519 ${b.printed}`));
  t.regex(changed.message, /known_hosts has ssh-ed25519 at \/etc\/kh:1/);
  t.regex(changed.message, /ssh-keygen -R '10\.0\.0\.1' -f \/etc\/kh\)$/);
  const other = { host: '10.0.0.9', port: 2222, knownHosts: ['/etc/kh'] };
  const unknown = hostKeyRefusal(other, keys, '[10.0.0.9]:2222', a.blob)!;
  t.true(
    unknown.message.startsWith(
      `ssh [10.0.0.9]:2222: host key ssh-ed25519 ${a.printed} is not in known_hosts (/etc/kh)`,
    ),
  );
  t.regex(unknown.message, /never accepts an unknown key/);
  t.regex(unknown.message, /ssh-keyscan -p 2222 10\.0\.0\.9 >> \/etc\/kh\)$/);
});
