import assert from 'node:assert/strict';
import { Client, listen } from '@sessionkit/adapter-suite';
import { ExpressSessionStore } from '@sessionkit/express';
import express from 'express';
import session from 'express-session';
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { ReplicatedSessionStore } from '../src/index.js';
import { startCluster } from './support/in-process.js';

// Three app instances, each an Express app on its own cluster node, all on real HTTP. A device is
// a cookie jar; each request of a device goes to the next instance, as a round-robin balancer sends it.
describe('log out everywhere across 3 instances (Express over real HTTP)', () => {
  let nodes: ReplicatedSessionStore[] = [];
  const apps: { url: string; close: () => Promise<void> }[] = [];

  beforeAll(async () => {
    // ack 'all': a write resolves once every node applied it, so the next request anywhere sees it.
    nodes = await startCluster(3, { ack: 'all' });
    for (const node of nodes) {
      const app = express();
      app.use(
        session({
          store: new ExpressSessionStore(node),
          secret: 'shared-cookie-secret',
          resave: false,
          saveUninitialized: false,
        }),
      );
      app.post('/login/:user', (req, res) => {
        (req.session as unknown as { userId: string }).userId = req.params.user;
        res.json({ user: req.params.user, node: node.nodeId });
      });
      app.get('/me', (req, res) => {
        res.json({ user: (req.session as unknown as { userId?: string }).userId ?? null, node: node.nodeId });
      });
      app.post('/logout-everywhere', async (req, res, next) => {
        try {
          const user = (req.session as unknown as { userId?: string }).userId;
          if (user === undefined) return void res.status(401).json({ error: 'not logged in' });
          const devices = await node.destroyByPrincipal(user);
          req.session.destroy(() => res.json({ devices, node: node.nodeId }));
        } catch (err) {
          next(err);
        }
      });
      apps.push(await listen(app));
    }
  });

  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await Promise.all(nodes.map((node) => node.close()));
  });

  /** A device that sends each request to the next instance, starting at `first`. */
  function device(first: number) {
    let next = first;
    const jars = new Map<string, string>();
    return async (method: 'GET' | 'POST', path: string): Promise<Record<string, unknown>> => {
      const client = new Client(apps[next++ % apps.length]!.url);
      for (const [name, value] of jars) client.cookies.set(name, value);
      const body = await client.json(path, { method });
      jars.clear();
      for (const [name, value] of client.cookies) jars.set(name, value);
      return body;
    };
  }

  it('5 devices of one user logged in on 3 instances; one call on any instance; the next request of every device is logged out', async () => {
    const user = `ann-${Date.now()}`;
    const devices = Array.from({ length: 5 }, (_, i) => device(i));
    const logins = await Promise.all(devices.map((d) => d('POST', `/login/${user}`)));
    assert.deepEqual(new Set(logins.map((l) => l['node'])).size, 3, 'the logins did not land on all three instances');
    const other = device(0);
    await other('POST', '/login/bob');
    // every device is logged in wherever its next request lands, and every node knows the user's 5 sessions
    for (const d of devices) assert.equal((await d('GET', '/me'))['user'], user);
    for (const node of nodes) {
      const sids: string[] = [];
      for await (const sid of node.idsByPrincipal(user)) sids.push(sid);
      assert.equal(sids.length, 5, `node ${node.nodeId} indexes ${sids.length} sessions of ${user}`);
    }

    // device 3 asks; its request lands on an instance other than the one it logged in on
    const answer = await devices[3]!('POST', '/logout-everywhere');
    assert.equal(answer['devices'], 5);
    for (const [i, d] of devices.entries()) {
      assert.equal((await d('GET', '/me'))['user'], null, `device ${i} is still logged in`);
      assert.equal((await d('GET', '/me'))['user'], null, `device ${i} is logged in again on the next instance`);
    }
    for (const node of nodes) {
      for await (const sid of node.idsByPrincipal(user)) assert.fail(`node ${node.nodeId} still indexes ${sid}`);
    }
    assert.equal((await other('GET', '/me'))['user'], 'bob', "another user's session was ended");
  });
});
