// express-session adapter; a separate entry so Koa apps never load express-session.
export * from '@sessionkit/express';
