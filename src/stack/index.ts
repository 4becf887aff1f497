/** The stack-file loader: compose files (+ x-stack) → a normalised DesiredState, or diagnostics with positions. */
export { loadStack, loadHosts, DEFAULT_SETTINGS, type HostsOnly } from './load.js';
export {
  DEFAULT_FILES,
  DEFAULT_LIMITS,
  DEFAULT_OVERRIDE_FILES,
  type LoadOptions,
  type StackLimits,
} from './options.js';
export { CONTENT_FILE_LIMIT, ProjectFolder, STACK_FILE_LIMIT } from './bounded-file.js';
export { StackSchema, schemaPath } from './schema.js';
export { interpolate, type Lookup, type InterpolationResult } from './interpolate.js';
export { parseDuration, parseSize, parseCpus } from './units.js';
export { parseConstraint, hostMaySatisfy, eligibleHosts } from './normalise/constraints.js';
export { DEFAULT_UPDATE_CONFIG } from './normalise/deploy.js';
export { LOCAL_SOCKET_PATH } from './hosts.js';
export { parseEndpoint, formatEndpoint, endpointHost, endpointIPv4 } from './endpoint.js';
export type * from './types.js';
