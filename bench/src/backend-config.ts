/** Where the backends are and how this run's keys and tables are named; handed to every child process. */
export interface BackendConfig {
  redisUrl: string;
  /** Points into the run's own schema (`search_path`), so every table is the run's. */
  postgresUrl: string;
  /** Points into the run's own database. */
  mysqlUrl: string;
  sqliteFile: string;
  /** `max` of our memory store; the footprint run raises it so it holds the sessions it is measured with. */
  memoryMax?: number;
  /** Replication endpoints of the 3 cluster nodes, node 0 first; set when the cluster store is measured. */
  cluster?: ClusterConfig;
}

export interface ClusterConfig {
  /** Shared secret that authenticates the nodes to each other. */
  secret: string;
  /** One `host:port` replication endpoint per node. */
  nodes: string[];
  /** Which of `nodes` this process is. */
  node: number;
}

/** Cookie name, secret and lifetime shared by the app and the store-level runs. */
export const SESSION_SECRET = 'bench-secret-not-for-production';
export const SESSION_MAX_AGE_MS = 86_400_000;
/** Sealing secret of the client-side rows: iron-session and @sessionkit/cookie want 32 characters or more. */
export const COOKIE_SECRET = 'bench-cookie-secret-not-for-production-use';

/** What a typical cart session looks like once express-session has stored it. */
export function sampleSession(index: number): Record<string, unknown> {
  return {
    cookie: {
      originalMaxAge: SESSION_MAX_AGE_MS,
      expires: new Date(Date.now() + SESSION_MAX_AGE_MS).toISOString(),
      httpOnly: true,
      path: '/',
    },
    cart: { 'sku-1': 2, 'sku-4': 1, [`sku-${index % 8}`]: 3 },
    user: { id: index, name: `user ${index}`, locale: 'en-GB' },
  };
}
