import type http from 'node:http';
import type { Balancer } from 'sessionkit/sticky';
import type { ShopInstance } from './instance.js';

const ROUTE = /^\/__demo\/instances(?:\/([^/]+)\/(kill|restart))?\/?$/;
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/** One row of `GET /__demo/instances`. */
export interface InstanceRow {
  id: string;
  url: string;
  /** `null` while the process is not running. */
  pid: number | null;
  /** The balancer's view, from its health checks and connection errors. */
  healthy: boolean;
}

/**
 * The demo-only control endpoints, served by the balancer (its `onRequest` hook):
 * `GET /__demo/instances`, `POST /__demo/instances/:id/kill` (SIGKILL, a crash) and
 * `POST /__demo/instances/:id/restart`. Only loopback clients are served, and a browser request
 * must come from the page's own origin, so another web site cannot kill instances.
 */
export function demoControl(instances: ShopInstance[], balancer: () => Balancer, log: (line: string) => void) {
  const busy = new Set<string>();

  const rows = (): InstanceRow[] => {
    const health = new Map(
      balancer()
        .backends()
        .map((b) => [b.id, b.healthy]),
    );
    return instances.map((i) => ({ id: i.id, url: i.url, pid: i.pid ?? null, healthy: health.get(i.id) ?? false }));
  };

  async function act(instance: ShopInstance, action: 'kill' | 'restart'): Promise<void> {
    const pid = instance.pid;
    if (action === 'kill') {
      await instance.kill();
      log(`${instance.id} killed (SIGKILL to pid ${pid ?? '-'})`);
      return;
    }
    await instance.stop();
    await instance.start();
    log(`${instance.id} restarted: pid ${instance.pid}`);
  }

  return (req: http.IncomingMessage, res: http.ServerResponse): boolean => {
    const match = ROUTE.exec(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!match) return false;
    if (!LOOPBACK.has(req.socket.remoteAddress ?? ''))
      return reply(res, 403, { error: 'demo controls answer loopback clients only' });
    const [, id, action] = match;
    if (!action) {
      if (req.method !== 'GET') return reply(res, 405, { error: 'use GET' });
      return reply(res, 200, rows());
    }
    if (req.method !== 'POST') return reply(res, 405, { error: 'use POST' });
    const origin = req.headers.origin;
    if (origin && origin !== `http://${req.headers.host}`)
      return reply(res, 403, { error: 'cross-origin requests are refused' });
    const instance = instances.find((i) => i.id === id);
    if (!instance) return reply(res, 404, { error: `no instance ${JSON.stringify(id)}` });
    if (busy.has(instance.id)) return reply(res, 409, { error: `instance ${instance.id} is busy with another action` });
    busy.add(instance.id);
    act(instance, action as 'kill' | 'restart')
      .then(
        () =>
          reply(
            res,
            200,
            rows().find((row) => row.id === instance.id),
          ),
        (err: Error) => reply(res, 500, { error: err.message }),
      )
      .finally(() => busy.delete(instance.id));
    return true;
  };
}

function reply(res: http.ServerResponse, status: number, body: unknown): true {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
  return true;
}
