/** `deploy:` with Swarm's defaults: replicated × 1, update/rollback parallelism 1, delay 0, pause, monitor 5s. */
import type { ConstraintSpec, DeploySpec, UpdateConfigSpec } from '../types.js';
import { isRecord, type KeyPath } from '../key-path.js';
import type { Problems } from '../problems.js';
import { parseDuration } from '../units.js';
import { parseConstraint } from './constraints.js';

export const DEFAULT_UPDATE_CONFIG: UpdateConfigSpec = {
  parallelism: 1,
  delayNs: 0,
  failureAction: 'pause',
  monitorNs: 5e9,
  maxFailureRatio: 0,
  order: 'stop-first',
};

export function normaliseDeploy(value: unknown, at: KeyPath, problems: Problems): DeploySpec {
  const deploy = isRecord(value) ? value : {};
  const placement = isRecord(deploy.placement) ? deploy.placement : {};
  const constraints: ConstraintSpec[] = [];
  const rawConstraints = Array.isArray(placement.constraints) ? placement.constraints : [];
  rawConstraints.forEach((text, i) => {
    const parsed = parseConstraint(String(text));
    if ('error' in parsed) problems.error([...at, 'placement', 'constraints', i], parsed.error, { hint: parsed.hint });
    else constraints.push(parsed.constraint);
  });
  const spec: DeploySpec = {
    mode: deploy.mode === 'global' ? 'global' : 'replicated',
    replicas: typeof deploy.replicas === 'number' ? deploy.replicas : 1,
    constraints,
    updateConfig: updateConfig(deploy.update_config),
    rollbackConfig: updateConfig(deploy.rollback_config),
  };
  const cap = placement.max_replicas_per_node;
  if (typeof cap === 'number' && cap > 0 && deploy.mode !== 'global') spec.maxReplicasPerNode = cap;
  if (cap !== undefined && deploy.mode === 'global')
    problems.warning([...at, 'placement', 'max_replicas_per_node'], 'max_replicas_per_node is ignored in global mode');
  if (isRecord(deploy.rollback_config) && deploy.rollback_config.failure_action === 'rollback') {
    problems.error(
      [...at, 'rollback_config', 'failure_action'],
      'rollback_config.failure_action rollback: a rollback cannot roll itself back',
      {
        hint: 'use pause (stop at the first replica that cannot be put back; the default) or continue',
      },
    );
  }
  if (deploy.mode === 'global' && deploy.replicas !== undefined) {
    problems.warning([...at, 'replicas'], 'replicas is ignored in global mode (one container per eligible host)');
  }
  if (isRecord(deploy.restart_policy)) {
    const policy = deploy.restart_policy;
    spec.restartPolicy = { condition: (policy.condition as 'none' | 'on-failure' | 'any' | undefined) ?? 'any' };
    const delay = parseDuration(policy.delay);
    const window = parseDuration(policy.window);
    if (delay !== undefined) spec.restartPolicy.delayNs = delay;
    if (typeof policy.max_attempts === 'number') spec.restartPolicy.maxAttempts = policy.max_attempts;
    if (window !== undefined) spec.restartPolicy.windowNs = window;
  }
  return spec;
}

function updateConfig(value: unknown): UpdateConfigSpec {
  const config = isRecord(value) ? value : {};
  return {
    parallelism: typeof config.parallelism === 'number' ? config.parallelism : DEFAULT_UPDATE_CONFIG.parallelism,
    delayNs: parseDuration(config.delay) ?? DEFAULT_UPDATE_CONFIG.delayNs,
    failureAction:
      (config.failure_action as UpdateConfigSpec['failureAction'] | undefined) ?? DEFAULT_UPDATE_CONFIG.failureAction,
    monitorNs: parseDuration(config.monitor) ?? DEFAULT_UPDATE_CONFIG.monitorNs,
    maxFailureRatio:
      typeof config.max_failure_ratio === 'number' ? config.max_failure_ratio : DEFAULT_UPDATE_CONFIG.maxFailureRatio,
    order: (config.order as UpdateConfigSpec['order'] | undefined) ?? DEFAULT_UPDATE_CONFIG.order,
  };
}
