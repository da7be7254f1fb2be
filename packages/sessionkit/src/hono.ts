// Hono middleware and the Web Request/Response core; a separate entry so other apps never load hono.
export * from '@sessionkit/hono';
