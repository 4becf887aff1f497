/** A real git repository for the reconcile agent's tests (a bare repository and a working clone), and the agent run as the built CLI. */
import { execFileSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createHmac } from 'node:crypto';
import { IMAGE } from './reconcile-helpers.js';
import { startStack } from './cli-helpers.js';

const GIT_ID = ['-c', 'user.name=stack-test', '-c', 'user.email=stack-test@example.invalid'];

/** A bare repository (the "server") and a clone to commit in; `url` is its file:// URL. */
export class TestRepo {
  readonly root = mkdtempSync(path.join(os.tmpdir(), 'stack-gitops-'));
  readonly bare = path.join(this.root, 'origin.git');
  readonly work = path.join(this.root, 'work');
  readonly url = `file://${this.bare}`;

  constructor() {
    execFileSync('git', ['init', '--quiet', '--bare', '--initial-branch=main', this.bare]);
    execFileSync('git', ['init', '--quiet', '--initial-branch=main', this.work]);
    this.git(['remote', 'add', 'origin', this.url]);
  }

  git(args: string[], env: Record<string, string> = {}): string {
    return execFileSync('git', [...GIT_ID, ...args], {
      cwd: this.work,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    }).toString();
  }

  /** Writes the files, commits them, pushes main (`env`: the push's, which the server's hooks see); returns the commit. */
  push(files: Record<string, string>, message: string, env: Record<string, string> = {}): string {
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(this.work, name)), { recursive: true });
      writeFileSync(path.join(this.work, name), content);
    }
    this.git(['add', '-A']);
    this.git(['commit', '--quiet', '-m', message]);
    this.git(['push', '--quiet', 'origin', 'main'], env);
    return this.git(['rev-parse', 'HEAD']).trim();
  }
}

export function stackYaml(name: string, replicas: number): string {
  return (
    `name: ${name}\nservices:\n  app:\n    image: ${IMAGE()}\n` +
    `    command: ["sh", "-c", "trap 'exit 0' TERM; sleep 3600 & wait"]\n` +
    `    deploy:\n      replicas: ${replicas}\n      placement:\n        constraints: ["node.labels.pool == main"]\n`
  );
}

export interface AgentEventLine {
  event: string;
  [key: string]: unknown;
}

/** The agent started as `stack reconcile … --json`; its log lines parsed as they come. */
export class RunningAgent {
  readonly child: ChildProcess;
  private readonly out: () => string;
  readonly done: ReturnType<typeof startStack>['done'];

  constructor(args: string[], cwd: string) {
    const started = startStack(['reconcile', '--json', ...args], cwd);
    this.child = started.child;
    this.out = started.stdout;
    this.done = started.done;
  }

  events(): AgentEventLine[] {
    return this.out()
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as AgentEventLine);
  }

  find(pred: (e: AgentEventLine) => boolean): AgentEventLine | undefined {
    return this.events().find(pred);
  }

  /** The address it listens on, from its `listening` line. */
  address(): string | undefined {
    return this.find((e) => e.event === 'listening')?.address as string | undefined;
  }

  async stop(): Promise<void> {
    if (this.child.exitCode === null) this.child.kill('SIGTERM');
    await this.done;
  }

  log(): string {
    return this.out();
  }
}

/** A GitHub push event for `ref`, signed with `secret`. */
export function githubPush(ref: string, secret: string): { body: string; headers: Record<string, string> } {
  const body = JSON.stringify({ ref, after: '0'.repeat(40) });
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-hub-signature-256': `sha256=${signature}`,
    },
  };
}

/** /metrics' value for one series (name and labels as written), or undefined. */
export function metric(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : undefined;
}
