// koa-session adapter; a separate entry so Express apps never load koa-session.
export * from '@sessionkit/koa';
