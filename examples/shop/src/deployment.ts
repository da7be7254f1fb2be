import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createBalancer, type Balancer } from 'sessionkit/sticky';
import { demoControl } from './control.js';
import { ShopInstance } from './instance.js';
import { assertPortsFree, findFreePortRange } from './ports.js';
import { describeStoreUrl } from './store.js';

/** How the balancer spreads requests over the instances. */
export type Routing = 'round-robin' | 'sticky-cookie' | 'ip-hash';
export const ROUTINGS: readonly Routing[] = ['round-robin', 'sticky-cookie', 'ip-hash'];

export interface DeploymentOptions {
  /** `SESSION_STORE_URL` of every instance. Default: a SQLite file in a temporary directory, removed by `stop()`. */
  storeUrl?: string;
  routing: Routing;
  /** Number of shop instances, 1 to 16. */
  instances: number;
  /** The balancer's port; instance i listens on `port + i`, cluster node i replicates on `port + instances + i`. */
  port: number;
  /** Progress lines. Default: none. */
  log?: (line: string) => void;
  /** Lines the instances print, prefixed with their id. Default: none. */
  instanceOutput?: (line: string) => void;
}

/** A running balancer with its shop instances. */
export interface Deployment {
  /** Where to send requests: the balancer. */
  url: string;
  routing: Routing;
  /** The store URL as given (or the default), password removed. */
  store: string;
  instances: ShopInstance[];
  balancer: Balancer;
  /** Stops the balancer and every instance, waits for the processes to exit, removes the default store's file. */
  stop(): Promise<void>;
}

/** Attempts of {@link startOnFreePorts} before it gives up. */
const PORT_ATTEMPTS = 5;

/**
 * {@link startDeployment} on a free run of ports it picks itself (see `findFreePortRange`). When
 * another process binds one of them between the check and an instance's `listen` (EADDRINUSE),
 * what started is stopped and the deployment starts again on another run, up to 5 times.
 */
export async function startOnFreePorts(options: Omit<DeploymentOptions, 'port'>): Promise<Deployment> {
  const isCluster = options.storeUrl?.startsWith('cluster:') ?? false;
  for (let attempt = 1; ; attempt++) {
    const port = await findFreePortRange((isCluster ? 2 : 1) * options.instances + 1);
    try {
      return await startDeployment({ ...options, port });
    } catch (err) {
      if (attempt === PORT_ATTEMPTS || !/EADDRINUSE|is not free/.test((err as Error).message)) throw err;
    }
  }
}

/**
 * Starts `instances` shop processes over one store and the sessionkit balancer in front of them,
 * in this process (it also serves the demo control endpoints). Throws before starting anything
 * when a port is taken; stops what it started when a later step fails.
 */
export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const { routing, port, log = () => {} } = options;
  const count = options.instances;
  const ids = Array.from({ length: count }, (_, i) => `shop-${i + 1}`);
  const isCluster = options.storeUrl?.startsWith('cluster:') ?? false;
  await assertPortsFree(Array.from({ length: (isCluster ? 2 : 1) * count + 1 }, (_, i) => port + i));
  const storeUrl = options.storeUrl ?? defaultStoreUrl();

  const env: Record<string, string> = {
    SHOP_SESSION_SECRET: randomBytes(24).toString('base64url'),
    SHOP_ROUTING: routing,
  };
  // Nodes of a replicated store authenticate each other with one shared secret.
  if (isCluster)
    env['SESSIONKIT_CLUSTER_SECRET'] =
      process.env['SESSIONKIT_CLUSTER_SECRET'] ?? randomBytes(24).toString('base64url');
  const storeUrls = instanceStoreUrls(storeUrl, ids, port + count + 1);
  const instances = ids.map(
    (id, i) =>
      new ShopInstance({ id, port: port + 1 + i, storeUrl: storeUrls[i]!, env, onOutput: options.instanceOutput }),
  );

  const removeStore = () => {
    if (!options.storeUrl) removeSqliteFile(storeUrl);
  };
  let balancer: Balancer | undefined;
  // Whatever happens to this process, no instance (and no temporary store) outlives it.
  const killAll = () => {
    for (const instance of instances) instance.killNow();
    removeStore();
  };
  process.once('exit', killAll);
  const stop = async () => {
    await balancer?.close();
    await Promise.all(instances.map((instance) => instance.stop()));
    removeStore();
    process.off('exit', killAll);
  };

  try {
    log(`starting ${count} instance${count === 1 ? '' : 's'} over ${describeStoreUrl(storeUrl)} …`);
    await Promise.all(instances.map((instance) => instance.start()));
    for (const instance of instances) log(`  ${instance.id}   ${instance.url}  pid ${instance.pid}`);
    balancer = createBalancer({
      backends: instances.map((instance) => ({ id: instance.id, url: instance.url })),
      strategy: routing === 'ip-hash' ? 'ip-hash' : 'round-robin',
      ...(routing === 'sticky-cookie'
        ? { sticky: { cookie: 'shop.route', secret: randomBytes(24).toString('base64url') } }
        : {}),
      // A crash is seen at once from refused connections; checks only need to notice hangs and
      // recoveries, and must not take an instance down because a busy machine answered slowly.
      healthCheck: { path: '/healthz', intervalMs: 500, timeoutMs: 2000, rise: 2, fall: 3 },
      onRequest: demoControl(instances, () => balancer!, log),
    });
    balancer.on('down', (backend, reason) => log(`balancer: ${backend.id} is down (${reason})`));
    balancer.on('up', (backend) => log(`balancer: ${backend.id} is up`));
    await balancer.listen(port, '127.0.0.1');
    log(`  balancer http://127.0.0.1:${port}  pid ${process.pid} (routing ${routing})`);
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    url: `http://127.0.0.1:${port}`,
    routing,
    store: describeStoreUrl(storeUrl),
    instances,
    balancer,
    stop,
  };
}

/**
 * The `SESSION_STORE_URL` of each instance: the same URL for a shared store; for `cluster://` each
 * instance becomes a node listening on its own port with every other node as a peer (other query
 * parameters of the given URL, such as `ack`, are kept).
 */
export function instanceStoreUrls(storeUrl: string, ids: string[], clusterBasePort: number): string[] {
  if (!storeUrl.startsWith('cluster:')) return ids.map(() => storeUrl);
  const given = new URL(storeUrl);
  const addresses = ids.map((_, i) => `127.0.0.1:${clusterBasePort + i}`);
  return ids.map((id, i) => {
    const query = new URLSearchParams(given.search);
    query.set('peers', addresses.filter((_, j) => j !== i).join(','));
    query.set('node', id);
    // Commas and colons unescaped so the URL reads well on the page; both forms parse the same.
    return `cluster://${addresses[i]}?${query.toString().replaceAll('%2C', ',').replaceAll('%3A', ':')}`;
  });
}

/** A SQLite file in a new temporary directory: embedded, shared by every instance, no server. */
function defaultStoreUrl(): string {
  return `sqlite:${join(mkdtempSync(join(tmpdir(), 'sessionkit-shop-')), 'sessions.db')}`;
}

function removeSqliteFile(storeUrl: string): void {
  const file = storeUrl.slice('sqlite:'.length);
  rmSync(join(file, '..'), { recursive: true, force: true });
}
