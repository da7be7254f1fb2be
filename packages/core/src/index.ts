export type {
  BaseStoreOptions,
  SessionChange,
  SessionData,
  SessionEntry,
  SessionLifecycleEvent,
  SessionLifecycleEventName,
  SessionStore,
  SessionStoreEvent,
  WriteOptions,
} from './types.js';
export {
  InvalidPrincipalError,
  InvalidSessionIdError,
  SessionDecodeError,
  SessionEncodeError,
  SessionStoreError,
  SessionTooLargeError,
  StoreConfigError,
  StoreOperationError,
  StoreUnavailableError,
  isSessionStoreError,
} from './errors.js';
export { MAX_SESSION_ID_LENGTH, assertSessionId, isValidSessionId } from './sid.js';
export { DEFAULT_MAX_SESSION_KEYS, MAX_SESSION_DEPTH, checkValue } from './value-rules.js';
export { FORBIDDEN_KEYS } from './forbidden-keys.js';
export {
  DEFAULT_PRINCIPAL_KEYS,
  MAX_PRINCIPAL_BYTES,
  UNDECIDED,
  defaultPrincipal,
  principalOf,
  principalOfChange,
  principalQuery,
  type PrincipalFunction,
} from './principal.js';
export { PrincipalIndex } from './principal-index.js';
export { isConnectionError, toStoreError, type ErrorKind } from './error-kind.js';
export {
  DEFAULT_MAX_SESSION_BYTES,
  DEFAULT_SESSION_LIMITS,
  type SessionLimits,
  byteLength,
  decodeSession,
  decodeValue,
  encodeSession,
  encodeValue,
  normalizeChange,
} from './codec.js';
export { DEFAULT_TTL_MS, ttlFromCookie, ttlFromSession, type CookieExpiry } from './ttl.js';
export { DEFAULT_OPERATION_TIMEOUT_MS, withTimeout } from './timeout.js';
export { AbstractSessionStore, DEFAULT_TOMBSTONE_TTL_MS } from './base-store.js';
export {
  loadOptionalDriver,
  positiveInteger,
  positiveNumber,
  queryOptions,
  type OptionalDriverOptions,
  type QueryOptions,
  type QueryOptionsSettings,
  type QueryParamKind,
  type QuerySpec,
} from './store-kit.js';
export {
  createStore,
  redactUrl,
  registerStore,
  registeredSchemes,
  type CreateStoreOptions,
  type StoreFactory,
} from './registry.js';
export { applyChange, changeBetween, dataOf, keyTexts, touchesKeys, type KeyTexts } from './delta.js';
export {
  formKeyTexts,
  jsonOf,
  keyTextsOf,
  rememberStoredForm,
  rememberValueTexts,
  storedForm,
  storedKeyTexts,
} from './stored-form.js';
export { privateSlot, type PrivateSlot } from './private-slot.js';
export {
  SessionTracker,
  type FailMode,
  type SaveOptions,
  type SaveOutcome,
  type SessionLogger,
  type SessionTrackerOptions,
} from './session-tracker.js';
export { LOADED_KEY, LoadedSession } from './loaded-session.js';
export { NO_EXPIRY, cookieExpiry, cookieRefreshedAt, type ExpiryRule } from './expiry-rule.js';
export { httpStatusOf, withHttpStatus, type SessionHttpStatus } from './http-status.js';
