// Client-side storage: sealed (JWE) cookie sessions for Express and koa-session; a separate entry
// so apps that keep sessions in a store load nothing of it.
export * from '@sessionkit/cookie';
