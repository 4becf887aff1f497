/**
 * Interpolates every string value of one file's tree in place (keys are left as written, like Compose).
 * Values that were interpolated and sit where the format wants a number or boolean are converted,
 * so `replicas: ${REPLICAS:-2}` becomes the number 2; so are quoted booleans (`read_only: "true"`), as in Compose.
 */
import type { Diagnostic } from '../errors.js';
import { interpolate, type Lookup } from './interpolate.js';
import { isRecord, type KeyPath } from './key-path.js';
import { matchesPattern, pattern, type PathPattern } from './path-pattern.js';
import type { SourcePositions } from './source-positions.js';

const INTEGER_PATHS: PathPattern[] = [
  'services.*.deploy.replicas',
  'services.*.deploy.placement.max_replicas_per_node',
  'services.*.scale',
  'services.*.ports.*.target',
  'services.*.ports.*.published',
  'services.*.healthcheck.retries',
  'services.*.networks.*.gw_priority',
  'services.*.deploy.update_config.parallelism',
  'services.*.deploy.rollback_config.parallelism',
  'services.*.deploy.restart_policy.max_attempts',
  'services.*.deploy.resources.limits.pids',
  'services.*.pids_limit',
  'services.*.ulimits.*',
  'services.*.ulimits.*.soft',
  'services.*.ulimits.*.hard',
  'services.*.shm_size',
  'services.*.mem_limit',
  'services.*.mem_reservation',
  'services.*.memswap_limit',
  'services.*.mem_swappiness',
  'services.*.cpu_shares',
  'services.*.cpu_period',
  'services.*.cpu_quota',
  'services.*.cpu_rt_period',
  'services.*.cpu_rt_runtime',
  'services.*.oom_score_adj',
  'services.*.blkio_config.weight',
  'services.*.blkio_config.weight_device.*.weight',
  'services.*.blkio_config.*.*.rate',
  'services.*.group_add.*',
  'services.*.gpus.*.count',
  'services.*.deploy.resources.reservations.devices.*.count',
  'x-stack.concurrency.host',
  'x-stack.concurrency.global',
].map(pattern);

const NUMBER_PATHS: PathPattern[] = [
  'services.*.cpus',
  'services.*.deploy.resources.limits.cpus',
  'services.*.deploy.resources.reservations.cpus',
  'services.*.deploy.update_config.max_failure_ratio',
  'services.*.deploy.rollback_config.max_failure_ratio',
].map(pattern);

const BOOLEAN_PATHS: PathPattern[] = [
  'services.*.privileged',
  'services.*.read_only',
  'services.*.init',
  'services.*.oom_kill_disable',
  'services.*.tty',
  'services.*.stdin_open',
  'services.*.volumes.*.read_only',
  'services.*.volumes.*.bind.create_host_path',
  'services.*.volumes.*.volume.nocopy',
  'services.*.depends_on.*.required',
  'services.*.depends_on.*.restart',
  'services.*.env_file.*.required',
  'services.*.healthcheck.disable',
  'networks.*.external',
  'networks.*.internal',
  'networks.*.attachable',
  'networks.*.enable_ipv6',
  'volumes.*.external',
  'secrets.*.external',
  'configs.*.external',
].map(pattern);

export function interpolateTree(
  root: Record<string, unknown>,
  lookup: Lookup,
  positions: SourcePositions,
): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const unsetReported = new Set<string>();
  // One path stack for the walk; it is copied only for the few values that hold a `$`.
  const stack: (string | number)[] = [];
  const visit = (container: Record<string, unknown> | unknown[], key: string | number): void => {
    const value = (container as Record<string | number, unknown>)[key];
    if (typeof value === 'string') {
      if (!value.includes('$')) {
        // A quoted boolean (`read_only: "true"`) or integer (`cpu_quota: "50000"`) is read as Compose reads it; the
        // path is built only for those.
        const text = value.trim();
        const integer = INTEGER_TEXT.test(text);
        if (!integer && !BOOLEAN_TEXT.test(text)) return;
        const path = [...stack, key];
        if ((integer ? INTEGER_PATHS : BOOLEAN_PATHS).some((p) => matchesPattern(path, p)))
          (container as Record<string | number, unknown>)[key] = cast(value, path);
        return;
      }
      const path: KeyPath = [...stack, key];
      const result = interpolate(value, lookup);
      if (result.error) {
        diagnostics.push({ severity: 'error', summary: result.error, where: positions.locate(root, path) });
        return;
      }
      for (const name of result.unset) {
        if (unsetReported.has(name)) continue;
        unsetReported.add(name);
        diagnostics.push({
          severity: 'warning',
          summary: `variable ${name} is not set; using an empty string`,
          where: positions.locate(root, path),
          hint: `set ${name} in the environment or an env file, or give a default: \${${name}:-value}`,
        });
      }
      (container as Record<string | number, unknown>)[key] = cast(result.value, path);
    } else if (Array.isArray(value)) {
      stack.push(key);
      for (let i = 0; i < value.length; i++) visit(value, i);
      stack.pop();
    } else if (isRecord(value)) {
      stack.push(key);
      for (const child of Object.keys(value)) visit(value, child);
      stack.pop();
    }
  };
  for (const key of Object.keys(root)) visit(root, key);
  return diagnostics;
}

const BOOLEAN_TEXT = /^(true|yes|on|false|no|off)$/i;
const INTEGER_TEXT = /^-?\d+$/;

function cast(value: string, path: KeyPath): unknown {
  const trimmed = value.trim();
  if (INTEGER_PATHS.some((p) => matchesPattern(path, p)) && /^-?\d+$/.test(trimmed)) return Number(trimmed);
  if (NUMBER_PATHS.some((p) => matchesPattern(path, p)) && /^-?(\d+\.?\d*|\.\d+)$/.test(trimmed))
    return Number(trimmed);
  if (BOOLEAN_PATHS.some((p) => matchesPattern(path, p))) {
    if (/^(true|yes|on)$/i.test(trimmed)) return true;
    if (/^(false|no|off)$/i.test(trimmed)) return false;
  }
  return value;
}
