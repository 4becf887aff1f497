/**
 * The build step, before observe and plan (docs/stack-file.md, Build): each service with `build:` gets its image
 * as a reference by digest. Its context is read and hashed (context.ts); the tag `REGISTRY/PROJECT-SERVICE:<hash>`
 * is looked up in the registry through the builder's daemon (a read); when the registry has it, nothing is built.
 * Otherwise (mode `build`) the context is built on the builder and pushed, and the digest the registry answered is
 * used; in mode `lookup` (plan) nothing is written: the service keeps the tag and is reported as built at apply.
 * The resulting state has no `build:` left, so revisions and labels carry the digest and never the build's args.
 */
import { ExitError, type Diagnostic } from '../errors.js';
import { HostClient, HostError, type BuildQuery } from '../docker/client.js';
import { CredentialConfigError, type AuthConfig, type CredentialSource } from '../docker/auth.js';
import { CredentialHelperError } from '../docker/credential-helper.js';
import { registryOf } from '../docker/image-ref.js';
import { DEFAULT_FAULT_SETTINGS, type FaultSettings } from '../docker/faults.js';
import type { BuildSpec, BuildTarget, DesiredState, ServiceSpec } from '../stack/types.js';
import { ContextError, readContext, type ContextLimits } from './context.js';
import { packContext } from './pack.js';
import { masker } from './mask.js';

/** Hex digits of the content hash used as the tag. */
const TAG_LENGTH = 32;

export type BuildEvent =
  | { type: 'build.found'; service: string; image: string }
  | { type: 'build.start'; service: string; tag: string; host: string }
  | { type: 'build.output'; service: string; line: string }
  | { type: 'build.push'; service: string; tag: string }
  | { type: 'build.done'; service: string; image: string; built: boolean }
  | { type: 'build.pending'; service: string; tag: string };

export interface BuildOptions {
  /** `build`: build and push what the registry lacks; `lookup`: write nothing (stack plan). */
  mode: 'build' | 'lookup';
  /** The operator's credentials (asked once, for the registry of the inventory: the push needs them). */
  credentials: CredentialSource;
  faults?: FaultSettings;
  onEvent?: (event: BuildEvent) => void;
  limits?: ContextLimits;
}

/** One service's image after the step. */
export interface BuiltImage {
  service: string;
  /** `REGISTRY/PROJECT-SERVICE:<hash>`. */
  tag: string;
  /** `REPOSITORY@sha256:…`; absent in mode lookup when the registry does not have the tag yet. */
  image?: string;
  /** Built (and pushed) by this run. */
  built: boolean;
}

export interface BuildResult {
  desired: DesiredState;
  images: BuiltImage[];
}

/** Services with `build:`, by name. */
export function buildServices(desired: DesiredState): ServiceSpec[] {
  return Object.values(desired.services).filter((s) => s.build !== undefined);
}

/** Resolves every `build:` of `desired` to an image by digest (building and pushing in mode `build`). */
export async function resolveBuilds(desired: DesiredState, options: BuildOptions): Promise<BuildResult> {
  const services = buildServices(desired);
  const target = desired.settings.build;
  if (!services.length || !target) return { desired, images: [] };
  const client = HostClient.fromSpec(target.builder, options.faults ?? DEFAULT_FAULT_SETTINGS);
  const images: BuiltImage[] = [];
  for (const service of services) images.push(await resolveOne(service, desired, target, client, options));
  const resolved = Object.fromEntries(images.map((i) => [i.service, i]));
  const services2 = Object.fromEntries(
    Object.entries(desired.services).map(([name, spec]) => {
      const built = resolved[name];
      if (!built) return [name, spec];
      const { build: _omitted, ...rest } = spec;
      return [name, { ...rest, image: built.image ?? built.tag }];
    }),
  );
  return { desired: { ...desired, services: services2 }, images };
}

async function resolveOne(
  service: ServiceSpec,
  desired: DesiredState,
  target: BuildTarget,
  client: HostClient,
  options: BuildOptions,
): Promise<BuiltImage> {
  const spec = service.build!;
  const emit = options.onEvent ?? (() => {});
  const context = readOrFail(service.name, spec, desired.workingDir, options.limits);
  const repo = service.image;
  const tag = `${repo}:${context.hash.slice(0, TAG_LENGTH)}`;
  const auth = await credentialsFor(options.credentials, registryOf(repo));
  const found = await lookup(client, tag, auth).catch((err: unknown) => {
    throw registryFailed(service.name, target, `looking ${tag} up`, errorText(err));
  });
  if (found) {
    const image = `${repo}@${found}`;
    emit({ type: 'build.found', service: service.name, image });
    return { service: service.name, tag, image, built: false };
  }
  if (options.mode === 'lookup') {
    emit({ type: 'build.pending', service: service.name, tag });
    return { service: service.name, tag, built: false };
  }
  const mask = masker(spec);
  emit({ type: 'build.start', service: service.name, tag, host: target.builder.name });
  const output = (line: string) => emit({ type: 'build.output', service: service.name, line: mask(line) });
  const steps: string[] = [];
  const query: BuildQuery = {
    t: tag,
    dockerfile: context.dockerfile,
    buildargs: spec.args,
    labels: spec.labels,
    ...(spec.target ? { target: spec.target } : {}),
    rm: true,
    forcerm: true,
  };
  const registryconfig = auth ? { [registryOf(repo)]: auth } : undefined;
  try {
    await client.build(
      await packContext(context.entries),
      query,
      (text) => trackSteps(text, steps, output),
      registryconfig,
    );
  } catch (err) {
    throw buildFailed(service.name, target, steps, mask(errorText(err)));
  }
  emit({ type: 'build.push', service: service.name, tag });
  const digest = await client.push(repo, tag.slice(repo.length + 1), auth, output).catch((err: unknown) => {
    throw registryFailed(service.name, target, `pushing ${repo}`, mask(errorText(err)));
  });
  const image = `${repo}@${digest}`;
  emit({ type: 'build.done', service: service.name, image, built: true });
  return { service: service.name, tag, image, built: true };
}

function readOrFail(service: string, spec: BuildSpec, projectDir: string, limits?: ContextLimits) {
  try {
    return readContext(spec, projectDir, limits);
  } catch (err) {
    if (!(err instanceof ContextError)) throw err;
    throw new ExitError(1, [
      {
        severity: 'error',
        summary: `service ${service}: ${err.message}`,
        hint: err.hint,
        where: { path: `services.${service}.build` },
      },
    ]);
  }
}

/** The digest the registry has for `tag`, or undefined when it has no such tag. */
async function lookup(client: HostClient, tag: string, auth: AuthConfig | undefined): Promise<string | undefined> {
  try {
    const digest = await client.distribution(tag, auth);
    return /^sha256:[0-9a-f]{64}$/.test(digest) ? digest : undefined;
  } catch (err) {
    if (err instanceof HostError && !err.unreachable && /not found|manifest unknown|no such/i.test(err.message))
      return undefined;
    throw err;
  }
}

/** Splits the builder's output into lines, keeping the `Step N/M : …` lines (the failing step is the last one). */
function trackSteps(text: string, steps: string[], output: (line: string) => void): void {
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    if (/^Step \d+\/\d+ : /.test(line)) steps.push(line);
    output(line);
  }
}

/** The registry's credentials; a credential helper's or config.json's failure is one error naming them. */
async function credentialsFor(source: CredentialSource, registry: string): Promise<AuthConfig | undefined> {
  try {
    return await source.get(registry);
  } catch (err) {
    if (err instanceof CredentialHelperError || err instanceof CredentialConfigError)
      throw new ExitError(1, [{ severity: 'error', summary: err.message, hint: err.hint }]);
    throw err;
  }
}

function errorText(err: unknown): string {
  const cause = err instanceof HostError && err.cause instanceof Error ? err.cause : err;
  return cause instanceof Error ? cause.message : String(cause);
}

function buildFailed(service: string, target: BuildTarget, steps: readonly string[], message: string): ExitError {
  const step = steps[steps.length - 1];
  const d: Diagnostic = {
    severity: 'error',
    summary: `service ${service}: the build failed${step ? ` at ${step.replace(/\s+$/, '')}` : ''}: ${message}`,
    hint: 'fix the Dockerfile or the context; nothing was pushed and no host was changed',
    where: { host: target.builder.name, path: `services.${service}.build` },
  };
  return new ExitError(1, [d]);
}

/** The registry refused or could not be reached (a lookup or a push): what to check; no host was changed. */
function registryFailed(service: string, target: BuildTarget, what: string, message: string): ExitError {
  return new ExitError(1, [
    {
      severity: 'error',
      summary: `service ${service}: ${what} in the registry ${target.registry} failed: ${message}`,
      hint: `check that the builder reaches the registry and that your Docker config (DOCKER_CONFIG, ~/.docker/config.json) has credentials for ${target.registry.split('/')[0]}; no host was changed`,
      where: { host: target.builder.name, path: `services.${service}.build` },
    },
  ]);
}
