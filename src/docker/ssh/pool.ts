/**
 * The SSH connections of this process, one per endpoint and settings, and the HTTP agent docker-modem sends an
 * ssh:// host's requests through (connection.ts). A process-wide pool on purpose: a run makes several HostClients
 * for one host (look, apply, catalog) and they must share one SSH connection; an idle connection keeps nothing alive.
 */
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { SshEndpoint } from '../../stack/endpoint.js';
import { MAX_CHANNELS, SshConnection } from './connection.js';
import { quietAgent } from '../quiet-agent.js';

const connections = new Map<string, SshConnection>();

/** The connection for this endpoint (same host, port, user, identity, known_hosts and agent: same connection). */
export function sshConnection(endpoint: SshEndpoint): SshConnection {
  const key = JSON.stringify([
    endpoint.host,
    endpoint.port,
    endpoint.user,
    endpoint.identity,
    endpoint.knownHosts,
    endpoint.agent,
  ]);
  let connection = connections.get(key);
  if (!connection) connections.set(key, (connection = new SshConnection(endpoint)));
  return connection;
}

/** Handshakes per endpoint text (user@host:port) in this process: one per host per run is the contract. */
export function sshHandshakes(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const c of connections.values()) {
    const key = `${c.endpoint.user}@${c.endpoint.host}:${c.endpoint.port}`;
    counts.set(key, (counts.get(key) ?? 0) + c.handshakes);
  }
  return counts;
}

/** Ends every connection of the pool (tests that want a fresh handshake). */
export function endSshConnections(): void {
  for (const c of connections.values()) c.end();
  connections.clear();
}

const agents = new WeakMap<SshConnection, http.Agent>();

/**
 * The HTTP agent of a host's SSH connection: every HTTP connection a dial-stdio channel, kept alive between requests
 * (each channel costs a process on the host). One agent per connection, shared by every client of that host, so
 * that idle kept-alive channels of one client never hold the channel slots another waits for.
 */
export function sshAgent(endpoint: SshEndpoint): http.Agent {
  const connection = sshConnection(endpoint);
  let agent = agents.get(connection);
  if (agent) return agent;
  agent = quietAgent(new http.Agent({ keepAlive: true, maxSockets: MAX_CHANNELS }), 'ssh');
  (agent as unknown as { createConnection: () => Duplex }).createConnection = () => connection.dial();
  agents.set(connection, agent);
  return agent;
}
