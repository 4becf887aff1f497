/** test/compat/REPORT.md and the counts line README states, from the conformance verdicts. */
import type { CompatCase } from './sources.js';
import type { Verdict, VerdictKind } from './classify.js';

export interface CaseVerdict extends CompatCase {
  verdict: Verdict;
}

const KINDS: readonly VerdictKind[] = ['agree', 'differ', 'refused by design', 'both refuse', 'compose refuses only'];

function count(verdicts: readonly CaseVerdict[], kind: VerdictKind, explained?: boolean): number {
  return verdicts.filter(
    (v) => v.verdict.kind === kind && (explained === undefined || v.verdict.explained === explained),
  ).length;
}

/** `N files: A agree, D differ, R refused by design, B both refuse, C compose refuses only; U not explained by …`. */
export function countsLine(verdicts: readonly CaseVerdict[]): string {
  const unexplained = verdicts.filter((v) => !v.verdict.explained).length;
  return (
    `${verdicts.length} files: ${count(verdicts, 'agree')} agree, ${count(verdicts, 'differ')} differ, ` +
    `${count(verdicts, 'refused by design')} refused by design, ${count(verdicts, 'both refuse')} both refuse, ` +
    `${count(verdicts, 'compose refuses only')} compose refuses only; ${unexplained} not explained by docs/stack-file.md`
  );
}

export function renderReport(verdicts: readonly CaseVerdict[], version: string): string {
  const lines = [
    '# Conformance with compose-go',
    '',
    `Written by test/compat/conformance.test.ts (compose-go ${version}, the version test/compat/go.mod pins): each file`,
    'loaded by compose-go and by stack, compared field by field through test/compat/mapping/. Do not edit by hand.',
    '',
    countsLine(verdicts),
    '',
    '| source | ' + KINDS.join(' | ') + ' |',
    '| --- | ' + KINDS.map(() => '---').join(' | ') + ' |',
  ];
  for (const source of ['compose-go testdata', 'compose-go inline', 'keys'] as const) {
    const mine = verdicts.filter((v) => v.source === source);
    lines.push(`| ${source} | ${KINDS.map((k) => count(mine, k)).join(' | ')} |`);
  }
  lines.push('', '## Files that do not agree', '');
  for (const v of verdicts.filter((x) => x.verdict.kind !== 'agree')) {
    lines.push(`- \`${v.id}\` — ${v.verdict.kind}${v.verdict.explained ? '' : ' (UNEXPLAINED)'}`);
    for (const d of v.verdict.details) lines.push(`  - ${d.replace(/\n/g, ' ')}`);
  }
  return lines.join('\n') + '\n';
}
