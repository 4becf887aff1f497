/**
 * Apply progress: live lines on a TTY, one line per step otherwise, or NDJSON events (`--json`).
 * All three implement the executor's Reporter interface.
 */
import pc from 'picocolors';
import type { ApplyEvent, Reporter } from '../../apply/index.js';
import { useColor } from './color.js';
import type { RolloutOutcome } from '../../apply/rollout.js';

const OUTCOME: Record<RolloutOutcome['outcome'], string> = {
  completed: 'completed',
  'completed-with-failures': 'completed with failed replicas (failure_action continue or within max_failure_ratio)',
  paused: 'paused (failure_action pause): the failed batch runs its previous containers again',
  'rolled-back': 'rolled back (failure_action rollback): the previous version runs',
  'rollback-incomplete':
    'rollback incomplete (failure_action rollback): some replicas could not be put back (below); apply again to converge',
  incomplete: 'incomplete',
};

/** The outcome of one service's rolling update: which replica failed and why, what was put back. */
export function rolloutLines(o: RolloutOutcome): string[] {
  const lines = [`rollout ${o.service}: ${OUTCOME[o.outcome]}`];
  for (const f of o.failures) lines.push(`  replica ${f.container} on ${f.host} failed: ${f.error}`);
  if (o.rolledBack.length) lines.push(`  rolled back: ${o.rolledBack.join(', ')}`);
  if (o.updated.length && o.outcome !== 'completed') lines.push(`  updated: ${o.updated.join(', ')}`);
  for (const e of o.rollbackErrors) lines.push(`  rollback step ${e.op} failed: ${e.error}`);
  return lines;
}

export class JsonReporter implements Reporter {
  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {}
  event(e: ApplyEvent): void {
    this.stream.write(`${JSON.stringify({ ...e, time: new Date().toISOString() })}\n`);
  }
}

export class LineReporter implements Reporter {
  private readonly c;
  private readonly running = new Map<string, string>();
  private readonly live: boolean;
  private drawn = 0;

  constructor(private readonly stream: NodeJS.WriteStream = process.stdout) {
    this.c = pc.createColors(useColor(stream));
    this.live = !!stream.isTTY && !process.env.CI;
  }

  private clear(): void {
    if (!this.live || !this.drawn) return;
    this.stream.write(`\x1b[${this.drawn}A\x1b[0J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.live) return;
    const lines = [...this.running.values()].slice(0, 10).map((l) => this.c.dim(`  … ${l}`));
    if (this.running.size > 10) lines.push(this.c.dim(`  … and ${this.running.size - 10} more`));
    if (lines.length) this.stream.write(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }

  private line(text: string): void {
    this.clear();
    this.stream.write(`${text}\n`);
    this.draw();
  }

  event(e: ApplyEvent): void {
    const c = this.c;
    switch (e.type) {
      case 'plan':
        break;
      case 'op-start':
        if (this.live) {
          this.clear();
          this.running.set(e.op.id, e.op.id);
          this.draw();
        }
        break;
      case 'op-done':
        this.running.delete(e.op.id);
        this.line(`${c.green('✓')} ${e.op.id}${e.detail ? `: ${e.detail}` : ''} ${c.dim(`(${e.ms} ms)`)}`);
        break;
      case 'op-failed':
        this.running.delete(e.op.id);
        this.line(`${c.red('✗')} ${e.op.id}: ${e.error}`);
        break;
      case 'op-skipped':
        this.line(`${c.yellow('-')} ${e.op.id} ${c.dim(`skipped: ${e.reason}`)}`);
        break;
      case 'compensate':
        this.line(
          `${c.yellow('↺')} ${e.group}: ${e.op.id.replace(/^\S+ /, '')}${e.error ? ` failed: ${e.error}` : ''}`,
        );
        break;
      case 'interrupt':
        this.line(
          e.hard
            ? c.red(`${e.reason} again: stopping now, without waiting for operations in flight`)
            : c.yellow(
                `${e.reason}: starting nothing new; operations in flight may finish within ${Math.round(e.graceMs / 1000)}s (${e.reason} again to stop at once)`,
              ),
        );
        break;
      case 'rollback':
        this.line(
          `${c.yellow('↶')} rollback ${e.service}: ${e.op.id.replace(/^\S+ rollback: /, `${e.op.host} `)}${e.error ? ` failed: ${e.error}` : ''}`,
        );
        break;
      case 'rollout':
        for (const l of rolloutLines(e.outcome))
          this.line(e.outcome.outcome === 'completed' ? c.green(l) : c.yellow(l));
        break;
      case 'summary':
        this.summary(e);
        break;
    }
  }

  private summary(e: Extract<ApplyEvent, { type: 'summary' }>): void {
    const c = this.c;
    this.clear();
    const calls = Object.entries(e.calls)
      .map(([h, n]) => `${h} ${n.reads}r/${n.writes}w`)
      .join(', ');
    const head = e.ok
      ? c.green('apply complete')
      : e.outcome === 'interrupted'
        ? c.yellow('apply interrupted')
        : c.red('apply failed');
    this.stream.write(`${head}: ${e.done} done, ${e.failed} failed, ${e.skipped} skipped; Engine calls ${calls}\n`);
    for (const [host, lost] of Object.entries(e.lostHosts ?? {}))
      this.stream.write(`  ${c.red('host lost')}: ${host}: ${lost.error}\n`);
    const roots = e.rootCauses ?? e.failures.map((f) => ({ ...f, host: '', skipped: [] as string[] }));
    for (const r of roots) {
      if (r.op === 'interrupt') {
        this.stream.write(`  ${c.yellow('interrupted')}: ${r.skipped.length} operation(s) not started\n`);
        continue;
      }
      this.stream.write(`  ${c.red('error')}: ${r.op}: ${r.error}\n`);
      if (r.skipped.length)
        this.stream.write(`    ${c.dim(`skipped because of it (${r.skipped.length}): ${r.skipped.join(', ')}`)}\n`);
    }
  }
}
