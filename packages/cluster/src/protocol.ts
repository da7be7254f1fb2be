import { FORBIDDEN_KEYS, isValidSessionId } from '@sessionkit/core';
import type { Version } from './clock.js';
import { BUCKETS } from './replica-state.js';
import { emptyKeys, type SessionRecord } from './record.js';

/** A record on the wire: `[sid, record]`. */
export type SidRecord = [sid: string, record: SessionRecord];

/**
 * Messages peers exchange after the handshake (JSON payload of one authenticated frame).
 * - `ops`: changes made on the sending node; answered by `ack` with the same `seq` once applied,
 *   with `refused` (how many records) when some were refused (a version beyond `maxDriftMs`).
 * - `sync`: asks for every record in buckets `b` (all buckets when absent); answered by `rec`
 *   frames, then `synced` with the same `id`. A joining node sends it with no `b`.
 * - `digest`: the sender's bucket digests; the receiver answers with its records of every differing
 *   bucket (`rec`) and a `sync` for those buckets, so both sides end with the merge of both.
 */
export type Message =
  | { t: 'ops'; seq: number; r: SidRecord[] }
  | { t: 'ack'; seq: number; refused?: number }
  | { t: 'sync'; id: number; b?: number[] }
  | { t: 'rec'; r: SidRecord[] }
  | { t: 'synced'; id: number }
  | { t: 'digest'; d: string[] };

/** A frame whose payload is not a valid message; the connection is closed and nothing is applied. */
export class ProtocolError extends Error {}

/** Validates a decoded payload and rebuilds it from checked parts; throws {@link ProtocolError}. */
export function parseMessage(value: unknown): Message {
  const m = object(value, 'message');
  switch (m['t']) {
    case 'ops':
      return { t: 'ops', seq: integer(m['seq'], 'seq'), r: records(m['r']) };
    case 'ack': {
      const seq = integer(m['seq'], 'seq');
      if (m['refused'] === undefined) return { t: 'ack', seq };
      return { t: 'ack', seq, refused: integer(m['refused'], 'refused') };
    }
    case 'sync': {
      const id = integer(m['id'], 'id');
      if (m['b'] === undefined) return { t: 'sync', id };
      return { t: 'sync', id, b: array(m['b'], 'b').map((b) => bucket(b)) };
    }
    case 'rec':
      return { t: 'rec', r: records(m['r']) };
    case 'synced':
      return { t: 'synced', id: integer(m['id'], 'id') };
    case 'digest': {
      const d = array(m['d'], 'd');
      if (d.length !== BUCKETS || !d.every((x) => typeof x === 'string' && /^[0-9a-f]{32}$/.test(x))) {
        throw new ProtocolError(`digest must hold ${BUCKETS} hex digests`);
      }
      return { t: 'digest', d: d as string[] };
    }
    default:
      throw new ProtocolError(`unknown message type ${JSON.stringify(m['t'])}`);
  }
}

function records(value: unknown): SidRecord[] {
  return array(value, 'records').map((item) => {
    const pair = array(item, 'record');
    const sid = pair[0];
    if (pair.length !== 2 || !isValidSessionId(sid)) {
      throw new ProtocolError('a record is [sid, record] with a valid sid');
    }
    return [sid, record(pair[1])];
  });
}

function record(value: unknown): SessionRecord {
  const r = object(value, 'record');
  // Versions repeat within a record (a set gives every key the same one): share one array each.
  const seen = new Map<string, Version>();
  const version = (value: unknown): Version => {
    const v = parseVersion(value);
    const key = `${v[0]}/${v[1]}/${v[2]}`;
    const known = seen.get(key);
    if (known) return known;
    seen.set(key, v);
    return v;
  };
  const out: SessionRecord = { reset: version(r['reset']), keys: emptyKeys() };
  if (r['dead'] !== undefined) {
    if (r['dead'] !== true) throw new ProtocolError('dead must be true when present');
    out.dead = true;
  }
  for (const [key, entryValue] of Object.entries(object(r['keys'], 'keys'))) {
    if (key === '' || FORBIDDEN_KEYS.has(key)) throw new ProtocolError(`key ${JSON.stringify(key)} is not allowed`);
    const entry = object(entryValue, 'key entry');
    const json = entry['json'];
    if (json !== undefined) {
      if (typeof json !== 'string') throw new ProtocolError('a key value is JSON text');
      try {
        JSON.parse(json);
      } catch {
        throw new ProtocolError(`the value of key ${JSON.stringify(key)} is not JSON`);
      }
      out.keys[key] = { v: version(entry['v']), json };
    } else {
      out.keys[key] = { v: version(entry['v']) };
    }
  }
  if (r['expiry'] !== undefined) {
    const e = object(r['expiry'], 'expiry');
    const at = e['at'];
    if (typeof at !== 'number' || !Number.isFinite(at)) throw new ProtocolError('expiry.at is epoch ms');
    out.expiry = { v: version(e['v']), at };
  }
  return out;
}

const nodeIds = new Map<string, string>();

function parseVersion(value: unknown): Version {
  const v = array(value, 'version');
  const [wall, counter, node] = v;
  const numbers = Number.isSafeInteger(wall) && Number.isSafeInteger(counter);
  if (v.length !== 3 || !numbers || typeof node !== 'string' || node.length > 200) {
    throw new ProtocolError('a version is [wallMs, counter, nodeId]');
  }
  return [wall as number, counter as number, intern(node)];
}

/** One string per node id instead of one per received version (a cluster has few nodes). */
function intern(node: string): string {
  const known = nodeIds.get(node);
  if (known !== undefined) return known;
  if (nodeIds.size < 1000) nodeIds.set(node, node);
  return node;
}

function bucket(value: unknown): number {
  const b = integer(value, 'bucket');
  if (b >= BUCKETS) throw new ProtocolError(`bucket ${b} out of range`);
  return b;
}

function integer(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) {
    throw new ProtocolError(`${what} must be a non-negative integer`);
  }
  return value as number;
}

function array(value: unknown, what: string): unknown[] {
  if (!Array.isArray(value)) throw new ProtocolError(`${what} must be an array`);
  return value;
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ProtocolError(`${what} must be an object`);
  }
  return value as Record<string, unknown>;
}
