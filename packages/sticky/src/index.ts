export { createBalancer, Balancer } from './balancer.js';
export type { BalancerOptions, BalancerLogger } from './balancer-options.js';
export type { BackendStatus } from './backend.js';
export { StickyConfigError } from './errors.js';
export { rendezvousPick, type WeightedId } from './hashing.js';
export { clientAddress } from './forwarded.js';
export type {
  BackendConfig,
  HealthCheckOptions,
  StickyCookieOptions,
  Strategy,
  ProxyConfigOptions,
} from './options.js';
export {
  stickyRoute,
  stickyRouteKoa,
  sessionIdGenerator,
  routeOfSessionId,
  type StickyRouteOptions,
  type ConnectMiddleware,
  type KoaLikeContext,
} from './route.js';
export { haproxyConfig } from './haproxy-config.js';
export { nginxConfig } from './nginx-config.js';
