// Hono: session({ store }), the middleware and the Web Request/Response core; a separate entry so
// other apps never load hono. The store adapters register here too, so session({ store:
// SESSION_STORE_URL }) knows every scheme; drivers still load only when a store of their kind is created.
import '@sessionkit/memory';
import '@sessionkit/redis';
import '@sessionkit/sql';
import '@sessionkit/cluster';
export * from '@sessionkit/hono';
