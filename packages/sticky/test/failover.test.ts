import type { ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBalancer, type Balancer, type BackendStatus } from '../src/index.js';
import { inBatches, send, startChildBackend, tally } from './support/http.js';

// Backends in their own processes, so one can be killed with SIGKILL as a crashed instance would be.
describe('failover after a backend is killed', () => {
  let children: { id: string; url: string; child: ChildProcess }[];
  let balancer: Balancer;
  let url: string;

  beforeAll(async () => {
    children = await Promise.all(['a', 'b', 'c'].map((id) => startChildBackend(id)));
    balancer = createBalancer({
      backends: children.map(({ id, url }) => ({ id, url })),
      sticky: { cookie: 'SKID', secret: 'failover-secret-123456' },
      healthCheck: { path: '/healthz', intervalMs: 100, timeoutMs: 1000, rise: 2, fall: 2 },
    });
    url = `http://127.0.0.1:${(await balancer.listen()).port}`;
  });
  afterAll(async () => {
    await balancer.close();
    for (const { child } of children) child.kill('SIGKILL');
  });

  it('detects the dead backend by health checks and re-pins its clients with no 5xx', async () => {
    const clients = await inBatches([...Array(90).keys()], 15, async () => {
      const first = await send(`${url}/`);
      return { cookie: first.cookie as string, backend: first.backend as string };
    });
    expect(tally(clients.map((c) => c.backend))).toEqual({ a: 30, b: 30, c: 30 });

    const down = new Promise<[BackendStatus, string]>((resolve) =>
      balancer.once('down', (b, reason) => resolve([b, reason])),
    );
    children.find((c) => c.id === 'b')?.child.kill('SIGKILL');
    const [status, reason] = await down;
    expect(status).toMatchObject({ id: 'b', healthy: false });
    expect(reason).toMatch(/ECONNREFUSED|ECONNRESET|timed out/);

    const after = await inBatches(clients, 15, (c) => send(`${url}/`, { cookie: c.cookie }));
    expect(after.filter((r) => r.status >= 500)).toEqual([]);
    for (const [i, reply] of after.entries()) {
      const before = clients[i] as { cookie: string; backend: string };
      if (before.backend === 'b') {
        expect(reply.backend).not.toBe('b');
        expect(reply.cookie?.startsWith(`SKID=${reply.backend}.`)).toBe(true); // cookie rewritten
        // ...and the client now stays on its new backend.
        expect((await send(`${url}/`, { cookie: reply.cookie as string })).backend).toBe(reply.backend);
      } else {
        expect(reply.backend).toBe(before.backend);
        expect(reply.cookie).toBeUndefined();
      }
    }
    const moved = after.filter((_, i) => clients[i]?.backend === 'b').map((r) => r.backend);
    console.info('[sticky] clients of killed backend b re-pinned to:', tally(moved));
    expect(balancer.backends().find((b) => b.id === 'b')?.healthy).toBe(false);
  });
});
