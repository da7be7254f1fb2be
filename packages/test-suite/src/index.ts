export { runConformanceSuite } from './suite.js';
export { engineAvailable } from './engines.js';
export { REDIS_URL, redisAvailable } from './redis.js';
export { eventually, rejection, sleep } from './util.js';
export type { BackendControl, ConformanceOptions, GroupName, StoreProbe, TestFunction } from './types.js';
export { sparePort, sparePorts } from './ports.js';
