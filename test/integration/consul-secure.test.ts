/**
 * stack against a Consul that wants an ACL token and client certificates: a dev agent of the sandbox's own
 * Consul build, on loopback, HTTPS only (verify_incoming) with ACLs on and default deny. With CONSUL_HTTP_TOKEN
 * and CONSUL_CACERT/CLIENT_CERT/CLIENT_KEY the apply takes its lock and records its revision there; without the
 * token, or without the client certificate, one clear error and no change on any host.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import { repoRoot } from '../helpers/sandbox.js';
import { containersOf, eventually, IMAGE, stackEvents, uniqueStack, eventWindowStart } from './reconcile-helpers.js';
import { folder, inventoryYaml, stackCli } from './consul-helpers.js';

const TOKEN = 'stack-test-management-token';
let consul: ChildProcess | undefined;
let address = '';
let certs: { ca: string; cert: string; key: string } = { ca: '', cert: '', key: '' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate, made with openssl. */
function makeCerts(dir: string): { ca: string; cert: string; key: string; serverCert: string; serverKey: string } {
  const ssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  ssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=stack-test-ca',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
  );
  for (const [who, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'],
    ['client', 'extendedKeyUsage=clientAuth\n'],
  ]) {
    writeFileSync(path.join(dir, `${who}.ext`), ext);
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${who}`, '-keyout', `${who}.key`, '-out', `${who}.csr`);
    ssl(
      'x509',
      '-req',
      '-in',
      `${who}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      `${who}.ext`,
      '-out',
      `${who}.pem`,
    );
  }
  const at = (f: string) => path.join(dir, f);
  return {
    ca: at('ca.pem'),
    cert: at('client.pem'),
    key: at('client.key'),
    serverCert: at('server.pem'),
    serverKey: at('server.key'),
  };
}

/** Consul's HTTPS API with the management token and the client certificate (for assertions). */
function consulApi<T>(pathAndQuery: string): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${address}/v1/${pathAndQuery}`,
      {
        headers: { 'X-Consul-Token': TOKEN },
        ca: readFileSync(certs.ca),
        cert: readFileSync(certs.cert),
        key: readFileSync(certs.key),
        timeout: 5_000,
      },
      (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => {
          if (res.statusCode === 404) return resolve(undefined);
          if (res.statusCode !== 200)
            return reject(new Error(`consul ${pathAndQuery}: HTTP ${res.statusCode} ${body}`));
          resolve(JSON.parse(body) as T);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

test.before(async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-consul-secure-'));
  const made = makeCerts(dir);
  certs = { ca: made.ca, cert: made.cert, key: made.key };
  const bin = execFileSync('bash', [path.join(repoRoot, 'deploy/sandbox/build-consul.sh')], {
    encoding: 'utf8',
  }).trim();
  const [https, serfLan, serfWan, server] = [await freePort(), await freePort(), await freePort(), await freePort()];
  address = `https://127.0.0.1:${https}`;
  const hcl = `ports { http = -1, https = ${https}, dns = -1, grpc = -1, grpc_tls = -1, serf_lan = ${serfLan}, serf_wan = ${serfWan}, server = ${server} }
tls { https { ca_file = "${made.ca}", cert_file = "${made.serverCert}", key_file = "${made.serverKey}", verify_incoming = true } }
acl { enabled = true, default_policy = "deny", tokens { initial_management = "${TOKEN}" } }`;
  writeFileSync(path.join(dir, 'secure.hcl'), hcl);
  consul = spawn(
    bin,
    [
      'agent',
      '-dev',
      '-bind=127.0.0.1',
      '-client=127.0.0.1',
      `-config-file=${path.join(dir, 'secure.hcl')}`,
      `-data-dir=${path.join(dir, 'data')}`,
    ],
    { stdio: 'ignore' },
  );
  await eventually(
    async () => ((await consulApi<string>('status/leader').catch(() => undefined)) ? true : undefined),
    60_000,
    'the secure Consul to elect itself',
  );
  // The ACL system is ready once the management token reads back.
  await eventually(
    async () => ((await consulApi('acl/token/self').catch(() => undefined)) ? true : undefined),
    60_000,
    'ACLs to be bootstrapped',
  );
});

test.after.always(() => {
  consul?.kill('SIGTERM');
});

const file = (name: string) =>
  `name: ${name}\nservices:\n  web:\n    image: ${IMAGE()}\n    command: ["sleep", "3600"]\n    deploy: { placement: { constraints: ["node.hostname == h1"] } }\n`;
const tlsEnv = () => ({
  CONSUL_HTTP_ADDR: address,
  CONSUL_CACERT: certs.ca,
  CONSUL_CLIENT_CERT: certs.cert,
  CONSUL_CLIENT_KEY: certs.key,
});

test.serial(
  'with the token and the client certificate, the apply takes its lock and records its revision in the secure Consul',
  async (t) => {
    const name = uniqueStack('csec');
    const dir = folder({ 'compose.yaml': file(name), 'inventory.yaml': inventoryYaml(null) });
    t.teardown(() =>
      stackCli(['destroy', '-y', '-i', 'inventory.yaml'], {
        cwd: dir,
        env: { ...tlsEnv(), CONSUL_HTTP_TOKEN: TOKEN },
      }).then(() => undefined),
    );
    const r = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], {
      cwd: dir,
      env: { ...tlsEnv(), CONSUL_HTTP_TOKEN: TOKEN },
    });
    t.is(r.code, 0, r.stdout + r.stderr);
    t.is((await containersOf(name)).size, 1);
    const keys = (await consulApi<string[]>(`kv/stack/${name}/?keys`)) ?? [];
    t.true(
      keys.some((k) => k === `stack/${name}/revisions/0000000001/manifest`),
      keys.join(', '),
    );
    const h = await stackCli(['history', '--json', '-i', 'inventory.yaml'], {
      cwd: dir,
      env: { ...tlsEnv(), CONSUL_HTTP_TOKEN: TOKEN },
    });
    t.is(h.code, 0, h.stderr);
    t.deepEqual(
      JSON.parse(h.stdout).revisions.map((x: { result: string }) => x.result),
      ['ok'],
    );
  },
);

test.serial(
  "without the token: one error naming Consul's address and the refusal, exit 1, no change on any host",
  async (t) => {
    const name = uniqueStack('cnot');
    const dir = folder({ 'compose.yaml': file(name), 'inventory.yaml': inventoryYaml(null) });
    const since = await eventWindowStart();
    const r = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], { cwd: dir, env: tlsEnv() });
    t.is(r.code, 1, r.stdout + r.stderr);
    t.regex(
      r.stderr,
      new RegExp(`error: .*${address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}.*(403|[Pp]ermission denied|ACL)`),
    );
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
    t.deepEqual(await stackEvents(name, since), []);
  },
);

test.serial(
  "without the client certificate: one error naming Consul's address, exit 1, no change on any host",
  async (t) => {
    const name = uniqueStack('cnoc');
    const dir = folder({ 'compose.yaml': file(name), 'inventory.yaml': inventoryYaml(null) });
    const since = await eventWindowStart();
    const r = await stackCli(['apply', '-y', '-i', 'inventory.yaml'], {
      cwd: dir,
      env: { CONSUL_HTTP_ADDR: address, CONSUL_CACERT: certs.ca, CONSUL_HTTP_TOKEN: TOKEN },
    });
    t.is(r.code, 1, r.stdout + r.stderr);
    t.regex(r.stderr, new RegExp(`error: .*${address.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
    t.notRegex(r.stderr, /\n\s+at /, 'no stack trace');
    t.deepEqual(await stackEvents(name, since), []);
  },
);
