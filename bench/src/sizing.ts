// Child process: what one store costs per session at rest and per operation on the wire. Writes
// `sessions` sample sessions through the store's own API with the driver's connection routed
// through a byte-counting relay, reads the engine's own size figures before and after, then runs
// `ops` gets, one-key patches and full sets one at a time and divides the relay's bytes and the
// driver's command count by them. Run with --expose-gc (heap per session of in-process stores).
import { randomBytes } from 'node:crypto';
import type { ReplicatedSessionStore } from '@sessionkit/cluster';
import { SESSION_MAX_AGE_MS, sampleSession, type BackendConfig } from './backend-config.js';
import { backendCallsSent, countBackendCalls } from './backend-counter.js';
import type { Engine } from './catalog.js';
import { engineBytes, MEMORY_USAGE_SAMPLES } from './engine-bytes.js';
import { FrameCounter } from './frame-counter.js';
import { runChild } from './ipc.js';
import { openStore, type OpenedStore, type StoreOps } from './open-store.js';
import { startRelay, type ByteCountingRelay } from './relay.js';
import type { AtRest, ReplicationCost, SizingRow, WireCost } from './sizing-result.js';

export interface SizingArgs {
  store: string;
  engine: Engine;
  backend: BackendConfig;
  /** Sessions written before the operations are measured. */
  sessions: number;
  /** Operations of each kind measured. */
  ops: number;
  /** Cluster store: the 3 nodes' replication endpoints; this process is node 0, the others run apart. */
  cluster?: { nodes: string[]; secret: string };
}

/** Sessions in flight while the bulk of them is written (not measured per operation). */
const WRITE_CONCURRENCY = 16;

const args = JSON.parse(process.env.BENCH_SIZING ?? '{}') as SizingArgs;
const ttl = { ttlMs: SESSION_MAX_AGE_MS };

function endpoint(url: string): { host: string; port: number } {
  const parsed = new URL(url);
  const defaults: Record<string, number> = { 'redis:': 6379, 'postgres:': 5432, 'postgresql:': 5432, 'mysql:': 3306 };
  return { host: parsed.hostname, port: parsed.port ? Number(parsed.port) : defaults[parsed.protocol]! };
}

function viaRelay(url: string, relay: ByteCountingRelay): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(relay.port);
  return parsed.href;
}

async function settledHeap(): Promise<number> {
  for (let pass = 0; pass < 3; pass += 1) {
    (globalThis as { gc?: () => void }).gc!();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return process.memoryUsage().heapUsed;
}

await runChild(async () => {
  const relays: ByteCountingRelay[] = [];
  const frames: FrameCounter[] = [];
  const backend: BackendConfig = { ...args.backend, memoryMax: args.sessions * 2 };
  let opened: OpenedStore | undefined;
  let node: ReplicatedSessionStore | undefined;
  const wired = args.engine === 'redis' || args.engine === 'postgres' || args.engine === 'mysql';
  if (wired) {
    const key = args.engine === 'redis' ? 'redisUrl' : args.engine === 'postgres' ? 'postgresUrl' : 'mysqlUrl';
    const relay = await startRelay(endpoint(backend[key]));
    relays.push(relay);
    backend[key] = viaRelay(backend[key], relay);
  }
  const engine = args.engine;
  if (engine === 'redis' || engine === 'postgres' || engine === 'mysql' || engine === 'sqlite')
    countBackendCalls(engine);

  if (args.engine === 'cluster') {
    // Node 0 reaches each peer through its own relay; a node sends its changes on its outbound
    // connections only, so those relays carry everything node 0's writes cost the network.
    const { ReplicatedSessionStore } = await import('@sessionkit/cluster');
    const [self, ...peers] = args.cluster!.nodes;
    const peerRelays = await Promise.all(
      peers.map((peer, index) => {
        const counter = new FrameCounter();
        frames[index] = counter;
        const [host, port] = peer!.split(':');
        return startRelay(
          { host: host!, port: Number(port) },
          { onChunk: (direction, chunk) => direction === 'up' && counter.push(chunk) },
        );
      }),
    );
    relays.push(...peerRelays);
    node = new ReplicatedSessionStore({
      listen: self!,
      peers: peerRelays.map((relay) => `127.0.0.1:${relay.port}`),
      nodeId: 'bench-node-0',
      secret: args.cluster!.secret,
      max: args.sessions * 2,
      // Anti-entropy digests (every 5 s by default) are a cost per interval, not per write; kept
      // out of the per-write figures.
      antiEntropyIntervalMs: 3_600_000,
    });
    await node.ready();
    const deadline = Date.now() + 30_000;
    while (!node.peers().every((peer) => peer.connected)) {
      if (Date.now() > deadline) throw new Error('cluster peers did not connect within 30 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  } else {
    opened = await openStore(args.store, backend);
  }
  const store = node;
  const ops: StoreOps =
    store !== undefined
      ? {
          get: (sid) => store.get(sid),
          set: (sid, data) => store.set(sid, data, ttl),
          patch: (sid, set) => store.patch(sid, { set, unset: [] }, ttl),
          touch: (sid) => store.touch(sid, ttl),
          count: () => store.length(),
        }
      : opened!.ops!;

  const wire = () => {
    const totals = relays.reduce(
      (sum, relay) => ({ up: sum.up + relay.bytes().up, down: sum.down + relay.bytes().down }),
      {
        up: 0,
        down: 0,
      },
    );
    return { ...totals, calls: backendCallsSent(), frames: frames.reduce((sum, counter) => sum + counter.frames, 0) };
  };
  /** Waits until the relays have carried nothing new for 300 ms (replication is sent after the write resolves). */
  const quiet = async () => {
    let last = JSON.stringify(wire());
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const now = JSON.stringify(wire());
      if (now === last) return;
      last = now;
    }
  };

  return {
    handlers: {
      measure: async (): Promise<SizingRow> => {
        const tag = randomBytes(4).toString('hex');
        // The first write creates the SQL table; sizes are measured from there.
        await ops.set(`sizing-first-${tag}`, sampleSession(0));
        await quiet();
        const heapBefore = await settledHeap();
        const before = await engineBytes(args, args.backend, []);
        const sids = Array.from({ length: args.sessions }, () => randomBytes(24).toString('base64url'));
        let next = 0;
        await Promise.all(
          Array.from({ length: WRITE_CONCURRENCY }, async () => {
            while (next < sids.length) {
              const index = next++;
              await ops.set(sids[index]!, sampleSession(index));
            }
          }),
        );
        await quiet();
        const heapAfter = await settledHeap();
        const after = await engineBytes(args, args.backend, sids);
        const held = await ops.count();

        const atRest: AtRest[] = [];
        for (const [method, value] of Object.entries(after)) {
          if (method === 'memory_usage_sampled')
            atRest.push({ method: 'MEMORY USAGE (sampled keys)', bytesPerSession: value / MEMORY_USAGE_SAMPLES });
          else atRest.push({ method, bytesPerSession: (value - (before[method] ?? 0)) / args.sessions });
        }
        // The near cache holds decoded sessions in the app's heap besides the copy in Redis.
        if (args.engine === 'memory' || args.engine === 'cluster' || args.store === 'redis-hash + near cache')
          atRest.push({ method: 'V8 heap', bytesPerSession: (heapAfter - heapBefore) / args.sessions });
        const accounted = (store ?? (opened?.sessionkit as { sizeBytes?: number } | undefined))?.sizeBytes;
        if (typeof accounted === 'number')
          atRest.push({ method: "store's own size accounting", bytesPerSession: accounted / (held || 1) });

        /**
         * Mean cost of `call` over `args.ops` calls made one at a time. `isolated`: each call waits
         * two event-loop turns before the next, so the cluster store flushes each write to its
         * peers in a frame of its own (writes made in the same turn share frames).
         */
        const measureOp = async (
          call: (sid: string, index: number) => Promise<unknown>,
          isolated = false,
        ): Promise<WireCost> => {
          await quiet();
          const start = wire();
          for (let index = 0; index < args.ops; index += 1) {
            await call(sids[index % sids.length]!, index);
            if (isolated) for (let turn = 0; turn < 2; turn += 1) await new Promise((resolve) => setImmediate(resolve));
          }
          await quiet();
          const end = wire();
          return {
            roundTrips: (end.calls - start.calls) / args.ops,
            ...(relays.length > 0
              ? { bytesUp: (end.up - start.up) / args.ops, bytesDown: (end.down - start.down) / args.ops }
              : {}),
            frames: (end.frames - start.frames) / args.ops,
          };
        };
        const isolated = args.engine === 'cluster';
        const get = await measureOp((sid) => ops.get(sid));
        // A near cache serves the second read of a session from process memory, kept correct by
        // Redis invalidations: the same sids read again.
        const getAgain = args.store.includes('near cache') ? await measureOp((sid) => ops.get(sid)) : undefined;
        const patch = await measureOp(
          (sid, index) => ops.patch!(sid, { cart: { 'sku-1': 2, [`sku-${index % 8}`]: 4 } }),
          isolated,
        );
        const set = await measureOp((sid, index) => ops.set(sid, sampleSession(index)), isolated);

        const row: SizingRow = {
          id: args.store,
          sessions: args.sessions,
          held,
          ops: args.ops,
          atRest,
          get,
          patch,
          set,
        };
        if (getAgain) row.getAgain = getAgain;
        if (args.engine === 'memory') {
          // No engine behind it: nothing leaves the process.
          delete row.get;
          delete row.patch;
          delete row.set;
        }
        if (args.engine === 'cluster') {
          const peers = args.cluster!.nodes.length - 1;
          const perPeer = (cost: WireCost): ReplicationCost => ({
            framesPerPeer: cost.frames / peers,
            bytesPerPeer: (cost.bytesUp ?? 0) / peers,
            ackBytesPerPeer: (cost.bytesDown ?? 0) / peers,
          });
          // Back to back: the writes of one event-loop turn go out in shared frames, as under load.
          const batched = await measureOp((sid, index) => ops.set(sid, sampleSession(index)));
          // Reads and writes are served from this node's memory: no round trip; a write's network
          // cost is what it sends its peers.
          row.replication = { peers, patch: perPeer(patch), set: perPeer(set), setBackToBack: perPeer(batched) };
          delete row.get;
          delete row.patch;
          delete row.set;
        }
        return row;
      },
    },
    close: async () => {
      await node?.close();
      await opened?.close();
      for (const relay of relays) await relay.close();
    },
  };
});
