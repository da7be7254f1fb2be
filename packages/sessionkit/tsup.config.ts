import { packageBuild } from '../../tsup.base.js';

export default packageBuild(['src/index.ts', 'src/express.ts', 'src/koa.ts', 'src/sticky.ts', 'src/cookie.ts']);
