import type { Network } from '../../engine/networks/types.js';

/** docker calls the default network `bridge`; podman calls it `podman` (its stored name). */
export const compatName = (n: Pick<Network, 'isDefault' | 'name'>) => (n.isDefault ? 'bridge' : n.name);
