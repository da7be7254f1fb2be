// A real session backend in its own process: a MemorySessionStore served over HTTP on 127.0.0.1.
// Tests stop it (SIGSTOP: it hangs, as an overloaded or partitioned server does; SIGKILL: it refuses
// connections) to take the store down for real. Usage: node --import tsx session-server.ts [port]
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemorySessionStore } from '@sessionkit/memory';

const store = new MemorySessionStore();

interface Call {
  op: 'get' | 'set' | 'patch' | 'touch' | 'destroy' | 'ids' | 'length' | 'clear';
  sid: string;
  data: never;
  change: never;
  ttlMs: number;
}

async function run(call: Call): Promise<unknown> {
  switch (call.op) {
    case 'get':
      return store.get(call.sid);
    case 'set':
      return store.set(call.sid, call.data, { ttlMs: call.ttlMs });
    case 'patch':
      return store.patch(call.sid, call.change, { ttlMs: call.ttlMs });
    case 'touch':
      return store.touch(call.sid, { ttlMs: call.ttlMs });
    case 'destroy':
      return store.destroy(call.sid);
    case 'ids': {
      const ids: string[] = [];
      for await (const sid of store.ids()) ids.push(sid);
      return ids;
    }
    case 'length':
      return store.length();
    case 'clear':
      return store.clear();
  }
}

const server = createServer((req, res) => {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (body += chunk));
  req.on('end', () => {
    run(JSON.parse(body) as Call).then(
      (value) => res.end(JSON.stringify({ value: value ?? null })),
      (err: Error & { code?: string }) => {
        res.statusCode = 500;
        res.end(JSON.stringify({ code: err.code, message: err.message }));
      },
    );
  });
});
server.listen(Number(process.argv[2] ?? 0), '127.0.0.1', () => {
  process.stdout.write(`${(server.address() as AddressInfo).port}\n`);
});
