/**
 * Caps on what one stack may ask for, so a file cannot make plan and apply build millions of containers: replicas
 * of one service (`--max-replicas`) and containers of the whole stack (`--max-containers`; a global service counts
 * one per host that may run it). Each excess is an error naming the service, before any host is contacted.
 */
import { eligibleHosts } from '../normalise/constraints.js';
import type { CheckContext } from './context.js';

export function checkLimits({ services, hosts, problems, limits }: CheckContext): void {
  let total = 0;
  let reported = false;
  for (const [name, service] of Object.entries(services)) {
    const { mode, replicas, constraints } = service.deploy;
    if (mode === 'replicated' && replicas > limits.maxReplicas) {
      problems.error(
        ['services', name, 'deploy', 'replicas'],
        `service ${name} asks for ${replicas} replicas; the limit is ${limits.maxReplicas}`,
        {
          hint: `lower deploy.replicas, or raise the limit with --max-replicas N`,
        },
      );
    }
    total += mode === 'global' ? eligibleHosts(hosts, constraints).length : replicas;
    if (total > limits.maxContainers && !reported) {
      reported = true;
      const at = mode === 'global' ? ['services', name, 'deploy', 'mode'] : ['services', name, 'deploy', 'replicas'];
      problems.error(
        at,
        `the stack asks for more than ${limits.maxContainers} containers (service ${name} brings it to ${total})`,
        {
          hint: 'lower replicas, or raise the limit with --max-containers N',
          always: true,
        },
      );
    }
  }
}
