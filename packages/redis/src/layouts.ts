import { decodeSession, decodeValue, encodeValue, rememberStoredForm, type KeyTexts, type SessionChange, type SessionData } from '@sessionkit/core';
import type { RedisClient } from './link.js';
import { MARKER_FIELD, type ScriptArgs, type ScriptName } from './scripts.js';

/** A script call: which script and its arguments after the two keys. */
export interface ScriptCall {
  script: ScriptName;
  argv: ScriptArgs;
}

/** How sessions are laid out in Redis: read with one command, written with one script each. */
export interface Layout {
  /** The stored session, `null` when absent. @throws SessionDecodeError when stored bytes do not decode. */
  read(client: RedisClient, key: string, sid: string): Promise<SessionData | null>;
  set(data: SessionData, json: string, ttlMs: number): ScriptCall;
  patch(change: SessionChange, ttlMs: number, maxSessionBytes: number): ScriptCall;
}

/**
 * `format: 'hash'` (default): one hash per session, one field per top-level key holding that
 * key's JSON, plus the marker field `''` so a session whose keys were all removed still exists.
 * A patch writes only the fields it changes.
 */
export const hashLayout: Layout = {
  async read(client, key, sid) {
    const fields = await client.hgetall(key);
    let found = false;
    const data: SessionData = {};
    const texts: KeyTexts = new Map();
    for (const [field, text] of Object.entries(fields)) {
      found = true;
      // `__proto__` cannot be written through this store; a hash edited by hand is read without it.
      if (field === MARKER_FIELD || field === '__proto__') continue;
      data[field] = decodeValue(sid, text);
      texts.set(field, text);
    }
    // The field texts let a framework adapter diff a save without re-encoding the loaded session.
    return found ? rememberStoredForm(data, texts) : null;
  },
  set(data, _json, ttlMs) {
    const argv: ScriptArgs = [Math.ceil(ttlMs)];
    for (const [field, value] of Object.entries(data)) {
      if (value !== undefined) argv.push(field, encodeValue(value));
    }
    return { script: 'sessionkitHashSet', argv };
  },
  patch(change, ttlMs) {
    const pairs: ScriptArgs = [];
    for (const [field, value] of Object.entries(change.set)) pairs.push(field, encodeValue(value));
    return { script: 'sessionkitHashPatch', argv: [Math.ceil(ttlMs), pairs.length, ...pairs, ...change.unset] };
  },
};

/**
 * `format: 'json'`: connect-redis's layout, one string of JSON per session (`SET key json PX ttl`),
 * so sessions written by connect-redis are read as they are and the reverse. A patch is a
 * read-merge-write inside one script.
 */
export const jsonLayout: Layout = {
  async read(client, key, sid) {
    const text = await client.get(key);
    return text === null ? null : decodeSession(sid, text);
  },
  set(_data, json, ttlMs) {
    return { script: 'sessionkitJsonSet', argv: [Math.ceil(ttlMs), json] };
  },
  patch(change, ttlMs, maxSessionBytes) {
    const members: ScriptArgs = [];
    for (const [name, value] of Object.entries(change.set)) {
      members.push(name, `${JSON.stringify(name)}:${encodeValue(value)}`);
    }
    return {
      script: 'sessionkitJsonPatch',
      argv: [Math.ceil(ttlMs), maxSessionBytes, members.length / 2, ...members, ...change.unset],
    };
  },
};
