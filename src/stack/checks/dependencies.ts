/** depends_on and network_mode: service:X must name services that exist and are enabled; no self-reference, no cycle. */
import { memberKey } from '../normalise/values.js';
import { rawServiceValue, type CheckContext } from './context.js';

export function checkDependencies(context: CheckContext): void {
  const { services, problems, disabledServices } = context;
  for (const [name, service] of Object.entries(services)) {
    const raw = rawServiceValue(problems, name, 'depends_on');
    for (const [dependency, spec] of Object.entries(service.dependsOn)) {
      const key = memberKey(raw, dependency);
      // An implicit dependency (volumes_from) is reported at volumes_from (checks/shared-containers.ts).
      if (key === undefined && service.volumesFrom?.some((v) => v.kind === 'service' && v.service === dependency))
        continue;
      const at = ['services', name, 'depends_on', ...(key === undefined ? [] : [key])];
      if (dependency === name)
        problems.error(at, `service ${name} depends on itself`, { atKey: typeof key === 'string' });
      else if (disabledServices.has(dependency)) {
        if (spec.required) {
          problems.error(at, `service ${name} depends on ${dependency}, which is not enabled by the active profiles`, {
            atKey: typeof key === 'string',
            hint: `enable its profile with --profile, or mark the dependency required: false`,
          });
        }
      } else if (!services[dependency]) {
        problems.error(at, `service ${name} depends on ${dependency}, which is not defined`, {
          atKey: typeof key === 'string',
          hint: `defined services: ${Object.keys(services).join(', ')}`,
        });
      }
    }
    const mode = service.networkMode;
    if (mode?.startsWith('service:')) {
      const target = mode.slice('service:'.length);
      if (!services[target])
        problems.error(
          ['services', name, 'network_mode'],
          `network_mode names service ${target}, which is not defined${disabledServices.has(target) ? ' or enabled' : ''}`,
        );
      else if (target === name)
        problems.error(['services', name, 'network_mode'], `service ${name} cannot share its own network namespace`);
      // Across hosts each replica would have to run on a host of one of the target's replicas, join that
      // container by name, and be recreated whenever it is replaced: not built yet, so refused, not half done.
      else
        problems.error(
          ['services', name, 'network_mode'],
          `network_mode service:${target} is not supported: across hosts each replica of ${name} would have to run next to a replica of ${target} and be recreated with it`,
          {
            hint: `put ${name} and ${target} on one network and reach ${target} by name, or run both processes in one service; network_mode container:NAME joins a container that already runs on the host`,
          },
        );
    }
  }
  reportCycles(context);
}

function reportCycles({ services, problems }: CheckContext): void {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const reported = new Set<string>();
  const visit = (name: string): void => {
    state.set(name, 'visiting');
    stack.push(name);
    for (const dependency of Object.keys(services[name].dependsOn).sort()) {
      if (dependency === name || !services[dependency]) continue;
      const seen = state.get(dependency);
      if (seen === 'visiting') {
        const cycle = [...stack.slice(stack.indexOf(dependency)), dependency];
        const id = [...cycle.slice(0, -1)].sort().join(',');
        if (!reported.has(id)) {
          reported.add(id);
          const key = memberKey(rawServiceValue(problems, name, 'depends_on'), dependency);
          problems.error(
            ['services', name, 'depends_on', ...(key === undefined ? [] : [key])],
            `depends_on forms a cycle: ${cycle.join(' → ')}`,
            {
              atKey: typeof key === 'string',
              hint: 'remove one of these dependencies',
            },
          );
        }
      } else if (seen === undefined) visit(dependency);
    }
    stack.pop();
    state.set(name, 'done');
  };
  for (const name of Object.keys(services).sort()) if (!state.has(name)) visit(name);
}
