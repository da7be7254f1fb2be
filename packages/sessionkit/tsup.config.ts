import { packageBuild } from '../../tsup.base.js';

export default packageBuild([
  'src/index.ts',
  'src/express.ts',
  'src/koa.ts',
  'src/sticky.ts',
  'src/fastify.ts',
  'src/hono.ts',
  'src/react-router.ts',
  'src/cookie.ts',
  'src/cli.ts',
]);
