/**
 * The build's warm-up before it saves the bundle's code cache (scripts/code-cache.mjs): V8's cache holds the functions
 * compiled when it is made, so the bundle runs what a deploy runs first — validate, then plan (JSON and text) of
 * examples/web-db against two hosts — and a later run finds that code compiled instead of compiling it function by
 * function (a no-op apply's own code is mostly run once, cold).
 * The hosts and Consul answer from this process: an Engine on a unix socket in a temporary folder that has nothing
 * (empty lists, API 1.41, a digest for any image) and a Consul on 127.0.0.1 with an empty KV and catalog. Nothing
 * leaves the machine, nothing is written outside the temporary folder, and the environment the CLI reads is empty
 * but for PATH (no CONSUL_HTTP_ADDR, DOCKER_HOST or docker config of the builder's reaches it).
 * A warm-up that fails only makes the cache colder: the build says so and goes on.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const EXAMPLE = fileURLToPath(new URL('../examples/web-db/compose.yaml', import.meta.url));
const DIGEST = `sha256:${'a'.repeat(64)}`;

function send(res, code, body, headers = {}) {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(body === undefined ? '' : JSON.stringify(body));
}

/** An Engine with nothing on it, at API 1.41 (Engine 20.10). */
function engine(req, res) {
  const path = req.url.replace(/^\/v1\.\d+/, '').split('?')[0];
  if (req.method !== 'GET') return send(res, 403, { message: 'the warm-up engine takes reads only' });
  if (path === '/_ping')
    return res.writeHead(200, { 'Api-Version': '1.41', Server: 'Docker/20.10.24 (linux)' }).end('OK');
  if (path === '/containers/json' || path === '/networks' || path === '/images/json') return send(res, 200, []);
  if (path === '/volumes') return send(res, 200, { Volumes: [], Warnings: null });
  if (path === '/info') return send(res, 200, { ID: 'warm', Name: 'warm', OSType: 'linux', Architecture: 'x86_64' });
  if (path.startsWith('/distribution/')) {
    const descriptor = { mediaType: 'application/vnd.oci.image.index.v1+json', digest: DIGEST, size: 500 };
    return send(res, 200, { Descriptor: descriptor, Platforms: [{ architecture: 'amd64', os: 'linux' }] });
  }
  return send(res, 404, { message: 'not found' });
}

/** A Consul with an empty KV and catalog. */
function consul(req, res) {
  const index = { 'x-consul-index': '1' };
  if (req.method === 'GET' && req.url.startsWith('/v1/catalog/')) return send(res, 200, [], index);
  return send(res, 404, undefined, index);
}

const listen = (server, ...where) => new Promise((resolve) => server.listen(...where, resolve));

/** Runs the CLI's `main` (the bundle's) through the warm-up commands; resolves with what failed, if anything. */
export async function warmWorkload(main) {
  const dir = mkdtempSync(join(tmpdir(), 'stack-warm-'));
  const servers = [http.createServer(engine), http.createServer(consul)];
  const saved = { env: process.env, cwd: process.cwd(), out: process.stdout.write, err: process.stderr.write };
  const failures = [];
  try {
    await listen(servers[0], join(dir, 'docker.sock'));
    await listen(servers[1], 0, '127.0.0.1');
    const host = (role, ip) =>
      `{ endpoint: "unix://${join(dir, 'docker.sock')}", labels: { role: ${role}, stack.underlay: ${ip} } }`;
    const inventory = join(dir, 'inventory.yaml');
    writeFileSync(
      inventory,
      `hosts:\n  h1: ${host('web', '192.0.2.1')}\n  h2: ${host('db', '192.0.2.2')}\n` +
        `consul: "http://127.0.0.1:${servers[1].address().port}"\n` +
        `overlay: { helper_image: "registry.invalid/busybox@sha256:${'b'.repeat(64)}" }\n`,
    );
    process.env = { PATH: saved.env.PATH ?? '/usr/bin:/bin', HOME: dir, DOCKER_CONFIG: join(dir, 'docker') };
    process.chdir(dir);
    let stderr = '';
    process.stdout.write = () => true;
    process.stderr.write = (chunk) => ((stderr += String(chunk)), true);
    for (const argv of [
      ['validate', '-i', inventory, '-f', EXAMPLE],
      ['plan', '--json', '--retries', '0', '-i', inventory, '-f', EXAMPLE],
      ['plan', '--retries', '0', '-i', inventory, '-f', EXAMPLE],
    ]) {
      stderr = '';
      const code = await main(argv);
      if (code !== 0) failures.push(`stack ${argv[0]} exited ${code}: ${stderr.trim().split('\n')[0]}`);
    }
  } finally {
    process.env = saved.env;
    process.stdout.write = saved.out;
    process.stderr.write = saved.err;
    process.chdir(saved.cwd);
    for (const server of servers) {
      server.closeAllConnections();
      server.close();
    }
    rmSync(dir, { recursive: true, force: true });
  }
  return failures;
}
