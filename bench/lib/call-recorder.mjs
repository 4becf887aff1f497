/**
 * Preloaded into a peer's process (`node --import …/call-recorder.mjs`) by bench/cold-shape.mjs: every HTTP request
 * the process sends (Engine calls over unix sockets, Consul over TCP), from the moment it is sent to the moment its
 * response headers arrive, through Node's own diagnostics channels — the same for stack and for the floor, and
 * neither knows it is watched. At exit the calls, the process's start and its exit go as one JSON document to the
 * file named by STACK_BENCH_CALLS. Times are ms since the epoch (performance.timeOrigin + now); `cpu` is the process's
 * CPU time (user + system, ms) when the call was sent — on a loaded machine the steadier measure of a phase's cost.
 */
import { subscribe } from 'node:diagnostics_channel';
import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

const out = process.env.STACK_BENCH_CALLS;
const now = () => performance.timeOrigin + performance.now();
const cpu = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const calls = [];
const open = new WeakMap();

/** The daemon or service a request went to: a unix socket's folder name (the sandbox host) or host:port. */
function targetOf(req) {
  const socket = req.socketPath ?? req.agent?.options?.socketPath;
  if (socket) return socket.split('/').at(-2) ?? socket;
  return `${req.host}:${req.socket?.remotePort ?? ''}`;
}

if (out) {
  subscribe('http.client.request.start', ({ request }) => {
    const c = { method: request.method, path: request.path, target: targetOf(request), start: now(), cpu: cpu() };
    calls.push(c);
    open.set(request, c);
  });
  const finish = ({ request, error }) => {
    const c = open.get(request);
    if (c && !('end' in c)) {
      c.end = now();
      if (error) c.error = String(error.message ?? error);
    }
  };
  subscribe('http.client.response.finish', finish);
  subscribe('http.client.request.error', finish);
  process.on('exit', () => {
    writeFileSync(out, JSON.stringify({ startedAt: performance.timeOrigin, exitAt: now(), exitCpu: cpu(), calls }));
  });
}
