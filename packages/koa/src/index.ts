export {
  koaStore,
  type KoaExternalStore,
  type KoaMaxAge,
  type KoaStoreCallOptions,
  type KoaStoreOptions,
} from './koa-store.js';
