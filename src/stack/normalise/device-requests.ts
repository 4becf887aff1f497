/**
 * `gpus` and `deploy.resources.reservations.devices`: device requests the Engine hands to a device driver (NVIDIA's,
 * for GPUs). `gpus: all` is every GPU; an entry without `count` or `device_ids` asks for all of its kind (compose-go's
 * default); `count` and `device_ids` together are refused (as in compose-go). A `gpus` entry always asks for the
 * `gpu` capability (as docker compose sends it); a reservation asks for the capabilities it lists.
 */
import type { DeviceRequestSpec } from '../types.js';
import { isRecord, type KeyPath } from '../key-path.js';
import { stringMap } from '../hosts.js';
import type { NormaliseContext } from './context.js';

function deviceRequest(entry: Record<string, unknown>, gpu: boolean): DeviceRequestSpec {
  const capabilities = Array.isArray(entry.capabilities) ? entry.capabilities.map(String) : [];
  if (gpu && !capabilities.includes('gpu')) capabilities.push('gpu');
  const spec: DeviceRequestSpec = { capabilities };
  if (typeof entry.driver === 'string') spec.driver = entry.driver;
  if (Array.isArray(entry.device_ids)) spec.deviceIds = entry.device_ids.map(String);
  else spec.count = entry.count === undefined || entry.count === 'all' ? -1 : Number(entry.count);
  const options = stringMap(entry.options);
  if (Object.keys(options).length) spec.options = options;
  return spec;
}

export function normaliseDeviceRequests(
  value: unknown,
  at: KeyPath,
  context: NormaliseContext,
  gpu: boolean,
): DeviceRequestSpec[] | undefined {
  if (value === 'all') return [deviceRequest({}, true)];
  if (!Array.isArray(value) || !value.length) return undefined;
  const out: DeviceRequestSpec[] = [];
  value.forEach((entry, i) => {
    if (!isRecord(entry)) return;
    if (entry.count !== undefined && entry.device_ids !== undefined) {
      context.problems.error([...at, i], 'count and device_ids cannot both be set (compose-go refuses it too)', {
        hint: 'ask for a number of devices (count: N or all) or for these devices (device_ids: [...])',
      });
      return;
    }
    out.push(deviceRequest(entry, gpu));
  });
  return out;
}
