import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { eventually, sleep } from '@sessionkit/test-suite';
import { describe, it } from 'vitest';
import { ReplicatedSessionStore, type ClusterTlsOptions, type ReplicatedSessionStoreOptions } from '../src/index.js';
import { SECRET, sparePorts } from './support/ports.js';
import { RawClient, Sniffer } from './support/wire.js';

// Certificates in fixtures/tls (EC P-256, valid until 2126): `ca.pem` signed `node.pem` (SAN IP
// 127.0.0.1, DNS localhost); `other-ca.pem` signed `rogue.pem`. Made with `openssl req -x509` and
// `openssl x509 -req` (see git history); private keys of the CAs were discarded.
const file = (name: string) => readFileSync(new URL(`./fixtures/tls/${name}`, import.meta.url));
const TLS: ClusterTlsOptions = { key: file('node-key.pem'), cert: file('node.pem'), ca: file('ca.pem') };
const ROGUE: ClusterTlsOptions = { key: file('rogue-key.pem'), cert: file('rogue.pem'), ca: file('ca.pem') };
const SECRET_VALUE = 'SECRET-CART-7a4c19';

/**
 * Node A dials node B through a recording relay; B dials A directly. Returns both nodes, the
 * relay, and a session written on A that has reached B.
 */
async function throughRelay(tls: ClusterTlsOptions | undefined) {
  const [pa, pb, relay] = (await sparePorts(3)) as [number, number, number];
  const sniffer = await Sniffer.listen(relay, pb);
  const common: Partial<ReplicatedSessionStoreOptions> = {
    secret: SECRET,
    joinTimeoutMs: 500,
    logger: { warn: () => {} },
    ...(tls ? { tls } : {}),
  };
  const a = new ReplicatedSessionStore({
    ...common,
    listen: `127.0.0.1:${pa}`,
    peers: [`127.0.0.1:${relay}`],
    nodeId: 'A',
  });
  const b = new ReplicatedSessionStore({
    ...common,
    listen: `127.0.0.1:${pb}`,
    peers: [`127.0.0.1:${pa}`],
    nodeId: 'B',
  });
  await Promise.all([a.ready(), b.ready()]);
  assert.ok(
    await eventually(async () => a.peers()[0]!.connected && b.peers()[0]!.connected, 20_000, 20),
    'links did not come up',
  );
  const sid = `tls-${randomBytes(6).toString('hex')}`;
  await a.set(sid, { cart: SECRET_VALUE }, { ttlMs: 60_000 });
  assert.ok(await eventually(async () => (await b.get(sid)) !== null, 10_000, 20), 'the session did not replicate');
  return {
    a,
    b,
    sniffer,
    async close() {
      await Promise.all([a.close(), b.close()]);
      await sniffer.close();
    },
  };
}

describe('TLS between nodes', () => {
  it('with tls, sessions replicate and nothing of them is readable on the wire', async () => {
    const run = await throughRelay(TLS);
    try {
      const wire = run.sniffer.recorded;
      assert.equal(wire[0], 0x16, 'the connection does not start with a TLS handshake record');
      const text = wire.toString('latin1');
      for (const clear of [SECRET_VALUE, '"t":"ops"', '"t":"hello"', '"cart"'])
        assert.ok(!text.includes(clear), `${clear} crossed the wire in clear text`);
    } finally {
      await run.close();
    }
  });

  it('without tls, session data crosses the wire in clear text (what docs/security.md warns about)', async () => {
    const run = await throughRelay(undefined);
    try {
      assert.ok(run.sniffer.recorded.toString('latin1').includes(SECRET_VALUE));
    } finally {
      await run.close();
    }
  });

  it('a TLS node refuses a peer without TLS, and one whose certificate another CA signed, even with the right secret', async () => {
    const [pa, pPlain, pRogue] = (await sparePorts(3)) as [number, number, number];
    const lines: string[] = [];
    const a = new ReplicatedSessionStore({
      secret: SECRET,
      tls: TLS,
      listen: `127.0.0.1:${pa}`,
      nodeId: 'A',
      logger: { warn: (line) => void lines.push(line) },
    });
    const intruders = [
      new ReplicatedSessionStore({
        secret: SECRET,
        listen: `127.0.0.1:${pPlain}`,
        peers: [`127.0.0.1:${pa}`],
        nodeId: 'plain',
        joinTimeoutMs: 300,
        logger: { warn: () => {} },
      }),
      new ReplicatedSessionStore({
        secret: SECRET,
        tls: ROGUE,
        listen: `127.0.0.1:${pRogue}`,
        peers: [`127.0.0.1:${pa}`],
        nodeId: 'rogue',
        joinTimeoutMs: 300,
        logger: { warn: () => {} },
      }),
    ];
    try {
      await Promise.all([a.ready(), ...intruders.map((node) => node.ready())]);
      const sid = `tls-intruder-${randomBytes(6).toString('hex')}`;
      for (const node of intruders) await node.set(sid, { stolen: node.nodeId }, { ttlMs: 60_000 });
      const refused = (pattern: RegExp) => eventually(async () => lines.some((line) => pattern.test(line)), 20_000, 20);
      assert.ok(await refused(/TLS handshake failed/), `the plain node was not refused:\n${lines.join('\n')}`);
      assert.ok(
        await refused(/TLS client certificate refused/),
        `the other CA's certificate was not refused:\n${lines.join('\n')}`,
      );
      await sleep(300);
      assert.equal(await a.get(sid), null);
      for (const node of intruders) assert.equal(node.peers()[0]!.connected, false, node.nodeId);
    } finally {
      await Promise.all([a.close(), ...intruders.map((node) => node.close())]);
    }
  });

  it('the cap on connections waiting to authenticate also bounds TLS handshakes', async () => {
    const [port] = (await sparePorts(1)) as [number];
    const lines: string[] = [];
    const a = new ReplicatedSessionStore({
      secret: SECRET,
      tls: TLS,
      listen: `127.0.0.1:${port}`,
      nodeId: 'A',
      maxPendingConnections: 2,
      handshakeTimeoutMs: 60_000,
      logger: { warn: (line) => void lines.push(line) },
    });
    const idle: RawClient[] = [];
    try {
      await a.ready();
      for (let i = 0; i < 10; i++) idle.push(new RawClient(port));
      assert.ok(
        await eventually(async () => idle.filter((c) => c.closed).length === 8, 15_000, 20),
        'the extra connections were not closed',
      );
      assert.equal(lines.filter((line) => /maxPendingConnections/.test(line)).length, 1, lines.join('\n'));
      assert.ok(!lines.some((line) => /TLS handshake failed/.test(line)), lines.join('\n'));
    } finally {
      for (const client of idle) client.close();
      await a.close();
    }
  });
});
