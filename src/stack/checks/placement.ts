/** Every service must be placeable: some host satisfies its constraints (as far as can be known without contacting hosts). */
import { eligibleHosts } from '../normalise/constraints.js';
import type { CheckContext } from './context.js';

export function checkPlacement({ services, hosts, problems }: CheckContext): void {
  for (const [name, service] of Object.entries(services)) {
    const { constraints } = service.deploy;
    if (!constraints.length || eligibleHosts(hosts, constraints).length) continue;
    const known = hosts
      .map(
        (h) =>
          `${h.name}${
            Object.keys(h.labels).length
              ? ` (${Object.entries(h.labels)
                  .map(([k, v]) => `${k}=${v}`)
                  .join(', ')})`
              : ''
          }`,
      )
      .join(', ');
    problems.error(
      ['services', name, 'deploy', 'placement', 'constraints'],
      `no host satisfies the constraints of service ${name}: ${constraints.map((c) => c.text).join(' and ')}`,
      {
        atKey: true,
        hint: `hosts: ${known}`,
      },
    );
  }
}
