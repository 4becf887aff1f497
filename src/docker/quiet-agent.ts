/**
 * HTTP agents that docker-modem can afford to describe. docker-modem formats every request's options for its debug
 * log with `util.inspect(options, { showHidden: true, depth: null })` whether or not debugging is on, and the
 * options hold the agent: an agent described in full (its sockets, their streams, an SSH client behind them) costs
 * milliseconds of CPU per request. A quiet agent describes itself as one short line.
 */
import { Agent, type AgentOptions } from 'node:http';
import { inspect } from 'node:util';

/** `agent`, which now prints as `Agent(label)`. */
export function quietAgent<T extends Agent>(agent: T, label: string): T {
  Object.defineProperty(agent, inspect.custom, { value: () => `Agent(${label})`, enumerable: false });
  return agent;
}

/**
 * The agent of unix-socket hosts: what Node's global agent is (kept-alive connections, last used first, 5 s idle),
 * quiet, and with no TLS server name to work out — for every request Node would otherwise test the Host header
 * (`localhost`) against its IPv6 pattern, a regular expression compiled on first use that was a visible share of a
 * no-op.
 */
export const UNIX_SOCKET_AGENT = quietAgent(
  new Agent({ keepAlive: true, scheduling: 'lifo', timeout: 5000, servername: '' } as AgentOptions),
  'unix socket',
);
