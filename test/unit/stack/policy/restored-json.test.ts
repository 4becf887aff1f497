/**
 * A revision restored by rollback is checked against today's policy (not the one of the day it was recorded);
 * plan --json and validate --json carry the violations with their rule ids.
 */
import test from 'ava';
import { parsePolicy } from '../../../../src/stack/policy/parse.js';
import { restoredPolicyReport } from '../../../../src/stack/policy/report.js';
import { reconcile } from '../../../../src/plan/reconcile.js';
import { planJson } from '../../../../src/plan/text.js';
import { formatValidateJson } from '../../../../src/cli/views/validate.js';
import { desired, observedEmpty, service } from '../../plan/helpers.js';
import { loadWithPolicy, stack } from './helpers.js';

const WHERE = 'revision 2 of stack app in /state';
const ENFORCE = parsePolicy({ mode: 'enforce' }, 'inv.yaml');

test("a restored revision is checked against today's policy, located in the revision", (t) => {
  const old = desired([service('web', { privileged: true }), service('db')]);
  // What the current load carried (its own file's findings) is replaced, never trusted.
  old.policy = { policy: ENFORCE, diagnostics: [] };
  const report = restoredPolicyReport(old, WHERE);
  t.is(report.policy, ENFORCE);
  t.deepEqual(
    report.diagnostics.map((d) => ({ severity: d.severity, rule: d.rule, where: d.where })),
    [{ severity: 'error', rule: 'privileged', where: { file: WHERE, path: 'services.web.privileged' } }],
  );
  t.regex(report.diagnostics[0].detail!, /- stack: app\n\s+service: web\n\s+rules: \[privileged\]/);
});

test("an allow entry of today's policy lets the revision through; without any policy it only warns", (t) => {
  const old = desired([service('web', { privileged: true })]);
  old.policy = {
    policy: parsePolicy({ mode: 'enforce', allow: [{ stack: 'app', service: 'web', rules: ['privileged'] }] }, 'i'),
    diagnostics: [],
  };
  t.deepEqual(restoredPolicyReport(old, WHERE).diagnostics, []);
  const none = desired([service('web', { privileged: true })]);
  t.deepEqual(
    restoredPolicyReport(none, WHERE).diagnostics.map((d) => d.severity),
    ['warning'],
  );
});

test('plan --json counts the violations and carries them with rule ids; nothing without a policy or a violation', (t) => {
  const d = desired([service('web', { privileged: true })]);
  d.policy = restoredPolicyReport({ ...d, policy: { policy: parsePolicy({}, 'inv.yaml'), diagnostics: [] } }, 'x');
  const json = planJson(reconcile(d, observedEmpty(d))) as { policy?: Record<string, unknown> };
  t.like(json.policy, { mode: 'warn', violations: 1 });
  t.is((json.policy!.diagnostics as { rule: string }[])[0].rule, 'privileged');
  const plain = desired([service('web')]);
  t.false('policy' in planJson(reconcile(plain, observedEmpty(plain))));
  plain.policy = { policy: parsePolicy({ mode: 'enforce' }, 'inv.yaml'), diagnostics: [] };
  t.like(planJson(reconcile(plain, observedEmpty(plain))).policy, { mode: 'enforce', violations: 0 });
});

test('validate --json gives each violation its rule id and location', async (t) => {
  const r = await loadWithPolicy(stack('  web:\n    image: busybox\n    privileged: true\n'));
  const doc = JSON.parse(formatValidateJson(r.value, r.diagnostics)) as { diagnostics: Record<string, unknown>[] };
  t.like(
    doc.diagnostics.find((d) => d.rule),
    {
      severity: 'warning',
      rule: 'privileged',
      file: 'compose.yaml',
      line: 5,
      column: 17,
      path: 'services.web.privileged',
    },
  );
});
