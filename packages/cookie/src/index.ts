export { cookieSession, sessionCookieInfo, type CookieSessionMiddleware, type SessionCookieInfo } from './express.js';
export { sealedCodec, KOA_ATTRIBUTE_BYTES, type SealedCodec, type SealedCodecOptions } from './koa.js';
export { CookieSealer, DEFAULT_MAX_CHUNKS, type CookieSealerOptions, type OpenedSeal } from './sealer.js';
export type { CookieOptions, CookieSessionLogger, CookieSessionOptions, FailMode } from './options.js';
export type { RevocationOptions, PrincipalOf } from './revocation.js';
export { defaultPrincipal } from './revocation.js';
export type { Claims, CookieOverrides } from './claims.js';
export type { InvalidCookieEvent, InvalidReason, Rejected } from './reasons.js';
export type { SecretInput } from './keyring.js';
export { MIN_SECRET_LENGTH } from './keyring.js';
export { MAX_SET_COOKIE_BYTES } from './chunks.js';
export { CookieSession, assignData, clearData, dataOf, type SessionOwner } from './session.js';
export { SessionCookie } from './session-cookie.js';
// The framework-free core every framework mapping (Express here, Fastify and Hono in their own
// packages) is built on, and the strategy switch their `session({ store })` entries share.
export { CookieSessionEngine, type Incoming, type Sealed } from './engine.js';
export { RequestSession, type Outcome } from './request-session.js';
export { EXPRESS_FLAVOR, type SessionFlavor } from './flavor.js';
export {
  chooseStrategy,
  cookieStrategyOptions,
  defined,
  destroyUserSessions,
  isCookieStrategy,
  parseCookieUrl,
  type CookieUrlOptions,
  type SessionStrategy,
  type SessionStrategyStore,
  type CookieStrategyOptions,
  type FrameworkCookieOptions,
  type SharedStrategyOptions,
} from './strategy.js';
