/** container_name fixes one container's name, so it only fits a service with exactly one container per host. */
import type { CheckContext } from './context.js';

export function checkContainerNames({ services, problems }: CheckContext): void {
  const byName = new Map<string, string>();
  for (const [name, service] of Object.entries(services)) {
    const containerName = service.containerName;
    if (containerName === undefined) continue;
    if (service.deploy.mode === 'replicated' && service.deploy.replicas > 1) {
      problems.error(
        ['services', name, 'container_name'],
        `container_name cannot be used with ${service.deploy.replicas} replicas: container names are unique per host`,
        {
          atKey: true,
          hint: 'remove container_name (stack names containers <stack>-<service>-<n>) or set replicas: 1',
        },
      );
    }
    const other = byName.get(containerName);
    if (other !== undefined) {
      problems.error(
        ['services', name, 'container_name'],
        `container_name ${containerName} is also used by service ${other}`,
        { atKey: true },
      );
    }
    byName.set(containerName, name);
  }
}
