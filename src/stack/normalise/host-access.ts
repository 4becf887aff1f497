/**
 * The keys that reach past a container's own confinement: `devices` and `security_opt` (the namespace modes
 * `pid`, `ipc`, `uts` and `userns_mode` are single words the schema has checked). Their values go to the Engine
 * as compose sends them; the operator's policy (src/stack/policy) decides whether a stack may use them.
 */
import path from 'node:path';
import type { DeviceSpec } from '../types.js';
import { isRecord, type KeyPath } from '../key-path.js';
import { CONTENT_FILE_LIMIT, describeRefusal } from '../bounded-file.js';
import type { NormaliseContext } from './context.js';

const PERMISSIONS = /^[rwm]{1,3}$/;
/** A CDI device name (`vendor.com/class=name`), which needs the Engine's CDI support. */
const CDI_NAME = /^[a-z0-9.-]+\/[a-z0-9._-]+=/i;

/** `devices`: short `source[:target][:permissions]` (compose-go's reading) or `{source, target, permissions}`. */
export function normaliseDevices(value: unknown, at: KeyPath, context: NormaliseContext): DeviceSpec[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const devices: DeviceSpec[] = [];
  value.forEach((item, i) => {
    const device = isRecord(item) ? longDevice(item) : shortDevice(String(item));
    const where = [...at, i];
    if (typeof item === 'string' && CDI_NAME.test(item)) {
      context.problems.error(where, `device ${item} is a CDI device name, which stack does not support`, {
        hint: 'map the device node itself: /dev/NAME or /dev/NAME:/dev/NAME:rwm',
      });
    } else if (!device.source.startsWith('/') || !device.target.startsWith('/')) {
      context.problems.error(
        where,
        `device ${JSON.stringify(item)} must map an absolute host path to one in the container`,
        {
          hint: 'write /dev/HOSTDEVICE[:/dev/CONTAINERDEVICE[:rwm]]',
        },
      );
    } else if (!PERMISSIONS.test(device.permissions)) {
      context.problems.error(
        where,
        `device ${device.source}: permissions ${device.permissions} must be some of r, w and m`,
      );
    } else devices.push(device);
  });
  return devices;
}

function shortDevice(text: string): DeviceSpec {
  const parts = text.split(':');
  if (parts.length === 1) return { source: text, target: text, permissions: 'rwm' };
  if (parts.length === 2)
    return PERMISSIONS.test(parts[1])
      ? { source: parts[0], target: parts[0], permissions: parts[1] }
      : { source: parts[0], target: parts[1], permissions: 'rwm' };
  return { source: parts[0], target: parts[1], permissions: parts.slice(2).join(':') };
}

function longDevice(item: Record<string, unknown>): DeviceSpec {
  const source = String(item.source);
  return {
    source,
    target: typeof item.target === 'string' ? item.target : source,
    permissions: typeof item.permissions === 'string' ? item.permissions : 'rwm',
  };
}

/**
 * `security_opt`, as `docker compose` sends it: `key:value` becomes `key=value`; `seccomp=FILE` is replaced by the
 * profile's JSON, read from inside the project folder only (`unconfined` and `builtin` are names, not files).
 */
export function normaliseSecurityOpt(value: unknown, at: KeyPath, context: NormaliseContext): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const out: string[] = [];
  value.forEach((item, i) => {
    const text = String(item);
    const eq = text.indexOf('=');
    const colon = text.indexOf(':');
    const cut = eq >= 0 ? eq : colon;
    if (cut < 0) {
      if (text === 'no-new-privileges') out.push(text);
      else
        context.problems.error([...at, i], `security_opt ${text} is not KEY=VALUE`, {
          hint: 'write e.g. no-new-privileges:true, apparmor=PROFILE, label=disable or seccomp=FILE',
        });
      return;
    }
    const [key, val] = [text.slice(0, cut), text.slice(cut + 1)];
    if (key !== 'seccomp' || val === 'unconfined' || val === 'builtin') out.push(`${key}=${val}`);
    else {
      const profile = seccompProfile(val, [...at, i], context);
      if (profile !== undefined) out.push(`seccomp=${profile}`);
    }
  });
  return out;
}

/** A seccomp profile file of the project, as compact JSON; undefined (and an error) when it cannot be used. */
function seccompProfile(file: string, where: KeyPath, context: NormaliseContext): string | undefined {
  const absolute = path.resolve(context.workingDir, file);
  const read = context.folder.read(absolute, CONTENT_FILE_LIMIT);
  if (!read.ok) {
    const { summary, hint } = describeRefusal('seccomp profile', file, read.refusal, context.folder);
    context.problems.error(where, summary, { hint });
    return undefined;
  }
  try {
    return JSON.stringify(JSON.parse(read.bytes.toString('utf8')));
  } catch (err) {
    context.problems.error(where, `seccomp profile ${file} is not JSON (${(err as Error).message})`, {
      hint: 'a seccomp profile is a JSON document (see docker/profiles/seccomp)',
    });
    return undefined;
  }
}
