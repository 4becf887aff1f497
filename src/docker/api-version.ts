/**
 * Engine API versions: parsed once into a type, compared, and negotiated per host. stack speaks API 1.41 (Engine
 * 20.10) up to 1.51 (Engine 28): to each daemon at the highest version both know, so a newer daemon answers as
 * itself and an older one is never sent a newer path. Pure.
 */

/** An Engine API version, `major.minor` (`1.41`). */
export interface ApiVersion {
  readonly major: number;
  readonly minor: number;
}

/** The oldest API stack speaks (Engine 20.10) and the newest it knows (Engine 28). */
export const MIN_API: ApiVersion = { major: 1, minor: 41 };
export const MAX_API: ApiVersion = { major: 1, minor: 51 };

/** What the API versions that stack uses first appeared with: the Engine release, for messages. */
const ENGINE_OF: Record<number, string> = {
  41: '20.10',
  43: '24.0',
  44: '25.0',
  45: '26.0',
  48: '28.0',
  49: '28.1',
  51: '28.3',
};

const API = /^(\d{1,3})\.(\d{1,3})$/;

/** `1.44` → {1, 44}; undefined for anything else (a daemon's answer is validated, not trusted). */
export function parseApiVersion(text: unknown): ApiVersion | undefined {
  if (typeof text !== 'string') return undefined;
  const m = API.exec(text.trim());
  return m ? { major: Number(m[1]), minor: Number(m[2]) } : undefined;
}

export function formatApiVersion(v: ApiVersion): string {
  return `${v.major}.${v.minor}`;
}

/** Negative, zero or positive as a is older than, the same as, or newer than b. */
export function compareApi(a: ApiVersion, b: ApiVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

export function apiAtLeast(v: ApiVersion, min: ApiVersion): boolean {
  return compareApi(v, min) >= 0;
}

/** `API 1.45 (Engine 26.0)`: how a message names the version a key needs. */
export function describeApi(v: ApiVersion): string {
  const engine = v.major === 1 ? ENGINE_OF[v.minor] : undefined;
  return `API ${formatApiVersion(v)}${engine ? ` (Engine ${engine})` : ''}`;
}

export type Negotiated = { ok: true; version: ApiVersion } | { ok: false; reason: string };

/**
 * The version to speak to a daemon that offers `server` (its ApiVersion) and accepts down to `serverMin` (its
 * MinAPIVersion): the newest both know. A daemon older than stack's minimum, or one that no longer accepts
 * stack's newest, is refused with why.
 */
export function negotiateApi(server: ApiVersion, serverMin: ApiVersion | undefined): Negotiated {
  if (compareApi(server, MIN_API) < 0)
    return {
      ok: false,
      reason: `its Engine API ${formatApiVersion(server)} is older than ${describeApi(MIN_API)}, the oldest stack speaks`,
    };
  const version = compareApi(server, MAX_API) > 0 ? MAX_API : server;
  if (serverMin && compareApi(serverMin, version) > 0)
    return {
      ok: false,
      reason: `it accepts API ${formatApiVersion(serverMin)} and newer only; stack speaks up to ${formatApiVersion(MAX_API)}`,
    };
  return { ok: true, version };
}
