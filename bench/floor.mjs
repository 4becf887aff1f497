#!/usr/bin/env node
/**
 * The floor: creates and starts a workload's containers straight through the Engine API (dockerode),
 * all hosts in parallel, every container of a host at once, nothing else — no observe, no plan, no
 * labels, no explicit volume creation (the daemon creates a named volume on container create).
 * The one overlay network is created first, once (the hosts share a cluster store).
 *   node bench/floor.mjs FLOOR.json SANDBOX.json
 */
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';

const [specPath, sandboxPath] = process.argv.slice(2);
const spec = JSON.parse(readFileSync(specPath, 'utf8'));
const sandbox = JSON.parse(readFileSync(sandboxPath, 'utf8'));
const docker = (host) =>
  new Docker({ socketPath: new URL(sandbox.hosts.find((h) => h.name === host).socket).pathname });

const engines = spec.hosts.map((h) => docker(h.host));
await engines[0].createNetwork(spec.network);
await Promise.all(
  spec.hosts.map((h, i) =>
    Promise.all(h.containers.map(async (c) => (await engines[i].createContainer({ ...c.body, name: c.name })).start())),
  ),
);
