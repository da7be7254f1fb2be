import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { dirname } from 'node:path';
import { createBalancer } from '@sessionkit/sticky';
import { Client } from './http.js';

/** Starts `script` (TypeScript, through tsx) with `env`; resolves with the port it prints. */
async function startApp(script: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: dirname(script),
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await Promise.race([
    once(child.stdout!, 'data'),
    once(child, 'exit').then(([code]) =>
      Promise.reject(new Error(`${script} exited with ${String(code)} before printing its port`)),
    ),
  ])) as [Buffer];
  return { child, port: Number(line.toString().trim()) };
}

/**
 * Two processes of the app in `script` on the store at `storeUrl`, behind the sessionkit balancer
 * (round-robin, no stickiness, so consecutive requests alternate). A client logs in, then sends
 * `adds` concurrent requests, each setting its own key (`item00`, `item01`, …). Returns the keys of
 * the session afterwards and which instance served each add.
 */
export async function behindBalancer(
  script: string,
  storeUrl: string,
  adds: number,
): Promise<{ keys: string[]; servedBy: string[] }> {
  const apps = await Promise.all(
    ['a', 'b'].map((instance) => startApp(script, { STORE_URL: storeUrl, INSTANCE: instance })),
  );
  const balancer = createBalancer({
    backends: apps.map(({ port }, index) => ({ id: index === 0 ? 'a' : 'b', url: `http://127.0.0.1:${port}` })),
    strategy: 'round-robin',
  });
  try {
    const { port } = await balancer.listen();
    const client = new Client(`http://127.0.0.1:${port}`);
    await client.post('/login');
    const responses = await Promise.all(
      Array.from({ length: adds }, (_, i) =>
        client.request(`/set/item${String(i).padStart(2, '0')}/x`, { method: 'POST' }),
      ),
    );
    const servedBy = responses.map((response) => response.headers.get('x-served-by') ?? '?');
    for (const response of responses) expect200(response.status);
    const keys = (await client.json('/me'))['keys'] as string[];
    return { keys, servedBy };
  } finally {
    await balancer.close();
    for (const { child } of apps) child.kill('SIGKILL');
    await Promise.all(
      apps.map(({ child }) => (child.exitCode === null && child.signalCode === null ? once(child, 'exit') : undefined)),
    );
  }
}

function expect200(status: number): void {
  if (status !== 200) throw new Error(`an add answered ${status}`);
}
