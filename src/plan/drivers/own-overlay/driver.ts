/** Stack's own overlay as the reconciler's network driver (src/plan/drivers/types.ts). */
import type { DesiredState } from '../../../stack/types.js';
import type { ObservedState } from '../../../observe/types.js';
import type { NetworkDriver } from '../types.js';
import type { OverlayBuilder, OverlayPlan } from './overlay-plan.js';
import { overlayEndpoints } from './endpoints.js';
import { finishOverlay } from './finish.js';
import { noReservations, reserveDeregisters, reserveRegisters, type ReserveContext } from './reserve.js';

export function ownOverlayDriver(
  desired: DesiredState,
  observed: ObservedState,
  usable: string[],
  b: OverlayBuilder,
  plan: OverlayPlan,
): NetworkDriver {
  const reserved = noReservations();
  const ctx: ReserveContext = { stack: desired.name, observed, b, plan, reserved };
  return {
    realises: (key) => plan.isConsul(key),
    readyOn: (host, key) => plan.ready(host, key),
    endpointFor: (host, container, body, endpoints) =>
      overlayEndpoints(plan, desired.name, host, container, body, endpoints),
    beforeStop: (stop) => reserveDeregisters(ctx, stop),
    afterStart: (started) => reserveRegisters(ctx, started),
    finish: (rollouts) => finishOverlay(desired, observed, usable, b, plan, reserved, rollouts),
  };
}
