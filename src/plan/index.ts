/** The planner: pure and synchronous. */
export { reconcile, countChanges, type PlanOptions } from './reconcile.js';
export { planText, planJson, summaryLine } from './text.js';
export {
  serviceConfig,
  containerName,
  temporaryName,
  engineRestartPolicy,
  type ContainerConfig,
  type ServiceConfig,
  type FileBundle,
} from './config.js';
export { normaliseImageRef, splitImageRef, registryOf } from '../docker/image-ref.js';
export { place, satisfies } from './placement.js';
export { diffConfigs, formatFieldChange } from './diff.js';
export * from './types.js';
