// @fastify/session store; a separate entry so other apps never load it.
export * from '@sessionkit/fastify';
