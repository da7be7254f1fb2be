export { runAdapterSuite, type AdapterUnderTest, type AppOptions } from './suite.js';
export {
  runCookieSuite,
  noise,
  sessionOptionsFor,
  COOKIE_SECRET_A,
  COOKIE_SECRET_B,
  type CookieAdapterUnderTest,
  type CookieAppOptions,
} from './cookie-suite.js';
export { runSwitchSuite, type SwitchUnderTest } from './switch-suite.js';
export { BACKENDS, REDIS_URL, type Backend, type OpenedBackend } from './backends.js';
export { barrier, Client, closeServer, listen, MAX_HEADER_SIZE } from './http.js';
export { CountingStore } from './counting-store.js';
export { HttpSessionStore, SessionServer, sessionServerForTests } from './outage-store.js';
export { behindBalancer } from './two-processes.js';
