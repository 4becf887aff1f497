/** The operator's policy for dangerous settings: parse it from the inventory, check a stack, report (docs/policy.md). */
export { parsePolicy } from './parse.js';
export { allowEntryFor, checkPolicy } from './check.js';
export { allowEntryYaml, policyDiagnostics, policyReport, restoredPolicyReport } from './report.js';
export {
  BASELINE_POLICY,
  BUILT_IN_DENIED_PATHS,
  RULE_IDS,
  type AllowEntry,
  type Policy,
  type PolicyMode,
  type RuleId,
  type Violation,
} from './types.js';
