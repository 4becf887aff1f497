/**
 * `stack reconcile`'s flags and reconcile.yaml turned into the agent's settings (src/gitops/config.ts). Flags win
 * over the file; `--stack` replaces the file's list. Every stack needs the operator's inventory (its own in the
 * file, else -i, else STACK_INVENTORY): the repository never chooses hosts. Every problem is reported at once.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExitError, type Diagnostic } from '../errors.js';
import { readReconcileFile, type ReconcileFile, type ReconcileStackEntry } from '../stack/reconcile-file.js';
import { defaultStackSchema } from '../stack/schema-instance.js';
import { parseDuration } from '../stack/units.js';
import { stackKey, type AgentConfig, type StackTarget } from '../gitops/config.js';
import { parseListen } from '../gitops/server.js';
import type { DriftMode } from '../gitops/events.js';

export interface ReconcileCliOptions {
  repo?: string;
  ref?: string;
  stack?: string[];
  inventory?: string;
  envFile?: string[];
  config?: string;
  interval?: string;
  drift?: string;
  listen?: string;
  webhookSecretFile?: string;
  webhookSecretEnv?: string;
  once?: boolean;
  json?: boolean;
  workDir?: string;
  consul?: string;
  lockTimeout?: string;
  grace?: number;
}

export interface ReconcileSettings {
  config: AgentConfig;
  listen?: { host?: string; port: number };
  secret?: Buffer;
}

const REF_PATTERN = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!\/)[A-Za-z0-9._/*-]+(?<!\/)$/;
const MIN_INTERVAL_MS = 1000;

const problem = (summary: string, hint: string): Diagnostic => ({ severity: 'error', summary, hint });

function readFile(opts: ReconcileCliOptions): ReconcileFile | undefined {
  if (!opts.config) return undefined;
  const read = readReconcileFile(path.resolve(opts.config), defaultStackSchema());
  if (!read.value) throw new ExitError(1, read.diagnostics);
  return read.value;
}

function targets(
  opts: ReconcileCliOptions,
  file: ReconcileFile | undefined,
  env: Env,
  out: Diagnostic[],
): StackTarget[] {
  const inventory = opts.inventory
    ? path.resolve(opts.inventory)
    : (file?.inventory ?? (env.STACK_INVENTORY || undefined));
  const envFiles = opts.envFile?.map((f) => path.resolve(f)) ?? file?.envFiles;
  const entries = opts.stack?.length ? opts.stack.map((p): ReconcileStackEntry => ({ path: p })) : (file?.stacks ?? []);
  if (!entries.length)
    out.push(
      problem(
        'no stack folder to reconcile',
        'name one or more with --stack DIR, or list them under stacks: in reconcile.yaml',
      ),
    );
  const seen = new Set<string>();
  const list: StackTarget[] = [];
  for (const e of entries) {
    if (path.isAbsolute(e.path) || e.path.split(/[\\/]/).includes('..'))
      out.push(
        problem(
          `--stack ${e.path}: not a folder inside the repository`,
          'give the folder relative to the repository root, without ..',
        ),
      );
    const inv = e.inventory ?? inventory;
    if (!inv)
      out.push(
        problem(
          `stack ${stackKey(e)} has no inventory`,
          "give the operator's hosts with -i INVENTORY (or inventory: in reconcile.yaml): the repository never chooses them",
        ),
      );
    if (seen.has(stackKey(e)))
      out.push(
        problem(
          `stack ${stackKey(e)} is listed twice`,
          'give each stack folder once, or give them distinct project_name:',
        ),
      );
    seen.add(stackKey(e));
    const envs = e.envFiles ?? envFiles;
    list.push({ ...e, inventory: inv ?? '', ...(envs ? { envFiles: envs } : {}) });
  }
  return list;
}

type Env = Record<string, string | undefined>;

function intervalMs(text: string, out: Diagnostic[]): number {
  const ns = parseDuration(text);
  const ms = ns === undefined ? undefined : Math.round(ns / 1e6);
  if (ms === undefined || ms < MIN_INTERVAL_MS) {
    out.push(problem(`--interval ${text}: not a duration of at least 1s`, 'write it like 30s, 1m or 1h'));
    return 60_000;
  }
  return ms;
}

function secretOf(
  opts: ReconcileCliOptions,
  file: ReconcileFile | undefined,
  env: Env,
  out: Diagnostic[],
): Buffer | undefined {
  const secretFile = opts.webhookSecretFile ?? file?.webhook?.secretFile;
  const secretEnv = opts.webhookSecretEnv ?? file?.webhook?.secretEnv;
  if (secretFile) {
    try {
      const secret = readFileSync(secretFile)
        .toString('utf8')
        .replace(/\r?\n$/, '');
      if (secret) return Buffer.from(secret);
      out.push(problem(`the webhook secret file ${secretFile} is empty`, 'write the shared secret into it'));
    } catch (err) {
      out.push(
        problem(
          `cannot read the webhook secret file ${secretFile}: ${(err as Error).message}`,
          'check the path and its permissions',
        ),
      );
    }
  } else if (secretEnv) {
    if (env[secretEnv]) return Buffer.from(env[secretEnv]);
    out.push(
      problem(
        `the environment variable ${secretEnv} (the webhook secret) is not set or empty`,
        'export it before starting the agent',
      ),
    );
  }
  return undefined;
}

function listenOf(text: string | undefined, out: Diagnostic[]): ReconcileSettings['listen'] {
  if (text === undefined) return undefined;
  const parsed = parseListen(text);
  if (!parsed) out.push(problem(`--listen ${text}: not [ADDRESS]:PORT`, 'write it like :9090 or 127.0.0.1:9090'));
  return parsed;
}

function driftOf(text: string, out: Diagnostic[]): DriftMode {
  if (text === 'report' || text === 'repair') return text;
  out.push(
    problem(`--drift ${text}: not report or repair`, 'report: say so and count it; repair: apply the commit again'),
  );
  return 'report';
}

/** The agent's settings from the flags, reconcile.yaml and the environment (STACK_INVENTORY, the secret's variable). */
export function reconcileSettings(opts: ReconcileCliOptions, env: Env): ReconcileSettings {
  const file = readFile(opts);
  const out: Diagnostic[] = [];
  const repo = opts.repo ?? file?.repo;
  if (!repo) out.push(problem('no repository to watch', 'give its URL with --repo URL, or repo: in reconcile.yaml'));
  else if (repo.startsWith('-') || /\s/.test(repo))
    out.push(
      problem(`--repo ${repo}: not a git URL`, 'give a URL git understands (https://, ssh://, git@host:path, file://)'),
    );
  const ref = opts.ref ?? file?.ref ?? 'main';
  if (!REF_PATTERN.test(ref))
    out.push(
      problem(`--ref ${ref}: not a branch name or tag pattern`, 'write a branch like main, or a tag pattern like v*'),
    );
  const stacks = targets(opts, file, env, out);
  const config: AgentConfig = {
    repo: repo ?? '',
    ref,
    stacks,
    intervalMs: intervalMs(opts.interval ?? file?.interval ?? '1m', out),
    drift: driftOf(opts.drift ?? file?.drift ?? 'report', out),
    workDir: path.resolve(opts.workDir ?? defaultWorkDir(repo ?? '', env)),
    once: opts.once === true,
  };
  const listen = listenOf(opts.listen ?? file?.webhook?.listen, out);
  const secret = secretOf(opts, file, env, out);
  if (out.length) throw new ExitError(1, out);
  return { config, ...(listen ? { listen } : {}), ...(secret ? { secret } : {}) };
}

/** One clone per repository URL under the operator's cache (XDG_CACHE_HOME, else ~/.cache). */
function defaultWorkDir(repo: string, env: Env): string {
  const id = createHash('sha256').update(repo).digest('hex').slice(0, 16);
  const cache = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(cache, 'stack', 'reconcile', id);
}
