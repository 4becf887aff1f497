/**
 * compose-go, the loader `docker compose` uses, as a program: test/compat/main.go built with the machine's Go
 * (GOTOOLCHAIN=local) into /var/cache/stack/compat (STACK_COMPAT_CACHE), rebuilt when main.go, go.mod or go.sum
 * change; the modules come from the Go module proxy. `composeLoad` runs it on one project folder and its files.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const cache = process.env.STACK_COMPAT_CACHE ?? '/var/cache/stack/compat';

/** The compose-go version go.mod pins (`v2.16.2`). */
export const COMPOSE_GO_VERSION = /github\.com\/compose-spec\/compose-go\/v2 (v[\w.-]+)/.exec(
  readFileSync(path.join(here, 'go.mod'), 'utf8'),
)![1];

export function hasGo(): boolean {
  return spawnSync('go', ['version'], { stdio: 'ignore' }).status === 0;
}

const goEnv = { ...process.env, GOTOOLCHAIN: 'local' };

/** The compose-go program, built when its sources changed since the cached build. */
export function composeBinary(): string {
  const sources = ['main.go', 'go.mod', 'go.sum'].map((f) => readFileSync(path.join(here, f)));
  const key = createHash('sha256').update(Buffer.concat(sources)).digest('hex').slice(0, 16);
  const binary = path.join(cache, `compose-load-${key}`);
  if (!existsSync(binary)) {
    mkdirSync(cache, { recursive: true });
    execFileSync('go', ['build', '-o', binary, '.'], { cwd: here, stdio: ['ignore', 'ignore', 'inherit'], env: goEnv });
  }
  return binary;
}

/** Where the Go module cache holds the pinned compose-go (its fixtures are read from there, never copied). */
export function composeGoSourceDir(): string {
  const modcache = execFileSync('go', ['env', 'GOMODCACHE'], { encoding: 'utf8', env: goEnv }).trim();
  return path.join(modcache, 'github.com', 'compose-spec', `compose-go`, `v2@${COMPOSE_GO_VERSION}`);
}

/** A project as compose-go loads it: the project, or the error it reports. */
export type ComposeResult = { ok: true; project: ComposeProject } | { ok: false; error: string };

export interface ComposeProject {
  name: string;
  services: Record<string, Record<string, unknown>>;
  networks?: Record<string, Record<string, unknown>>;
  volumes?: Record<string, Record<string, unknown>>;
  secrets?: Record<string, Record<string, unknown>>;
  configs?: Record<string, Record<string, unknown>>;
}

/** The environment both loaders get: nothing of the caller's. */
export const PLAIN_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/nonexistent' };

/** compose-go's view of the project in `dir` (its .env read), from `files` (default compose.yaml). */
export function composeLoad(binary: string, dir: string, files: string[] = []): ComposeResult {
  const run = spawnSync(binary, [dir, ...files], { encoding: 'utf8', env: PLAIN_ENV });
  if (run.status !== 0) return { ok: false, error: run.stderr.trim() };
  return { ok: true, project: JSON.parse(run.stdout) as ComposeProject };
}
