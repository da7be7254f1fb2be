import {
  decodeSession,
  decodeValue,
  encodeValue,
  FORBIDDEN_KEYS,
  keyTextsOf,
  rememberStoredForm,
  type KeyTexts,
  type SessionChange,
  type SessionData,
} from '@sessionkit/core';
import type { RedisDriver } from './client.js';
import { MARKER_FIELD, type ScriptArgs, type ScriptName } from './scripts.js';

/** A script call: which script and its arguments after the two keys. */
export interface ScriptCall {
  script: ScriptName;
  argv: ScriptArgs;
}

/**
 * What the hash layout's scripts need for the principal index (the JSON layout has none): the sid
 * (the set member), the set key prefix (`''`: the store updates the sets itself), and for a patch
 * how to file the session (see `HASH_PATCH` in scripts.ts).
 */
export interface IndexArgs {
  sid: string;
  setPrefix: string;
  /** `keep`: filed where it is; `set`: under `principal`. */
  mode: 'keep' | 'set';
  /** The principal id, `''` for anonymous. */
  principal: string;
  /** Fields the principal was computed from that the patch does not change, with the text read (`''`: absent). */
  guards: [field: string, text: string][];
}

/** How sessions are laid out in Redis: read with one command, written with one script each. */
export interface Layout {
  /** The stored session, `null` when absent. @throws SessionDecodeError when stored bytes do not decode. */
  read(driver: RedisDriver, key: string, sid: string): Promise<SessionData | null>;
  set(data: SessionData, json: string, ttlMs: number, index: IndexArgs): ScriptCall;
  patch(change: SessionChange, ttlMs: number, maxSessionBytes: number, index: IndexArgs): ScriptCall;
}

/**
 * `format: 'hash'` (default): one hash per session, one field per top-level key holding that
 * key's JSON, plus the marker field `''` so a session whose keys were all removed still exists.
 * A patch writes only the fields it changes.
 */
export const hashLayout: Layout = {
  async read(driver, key, sid) {
    const fields = await driver.hgetall(key);
    if (fields.length === 0) return null;
    const data: SessionData = {};
    const texts: KeyTexts = new Map();
    for (let i = 0; i + 1 < fields.length; i += 2) {
      const field = fields[i]!;
      // A hash edited by hand is read without keys that could reach a prototype (FORBIDDEN_KEYS).
      if (field === MARKER_FIELD || FORBIDDEN_KEYS.has(field)) continue;
      const text = fields[i + 1]!;
      data[field] = decodeValue(sid, text);
      texts.set(field, text);
    }
    // The field texts let a framework adapter diff a save without re-encoding the loaded session.
    return rememberStoredForm(data, texts);
  },
  set(data, _json, ttlMs, index) {
    const argv: ScriptArgs = [Math.ceil(ttlMs), index.sid, index.setPrefix, index.principal];
    // A session the tracker made from its texts (dataOf) is not encoded again.
    const known = keyTextsOf(data);
    for (const field in data) {
      if (!Object.hasOwn(data, field)) continue;
      // undefined, functions and Symbols have no JSON form: the key is left out, as JSON.stringify does
      const text = known?.get(field) ?? (encodeValue(data[field]) as string | undefined);
      if (text !== undefined) argv.push(field, text);
    }
    return { script: 'sessionkitHashSet', argv };
  },
  patch(change, ttlMs, maxSessionBytes, index) {
    // normalizeChange bounds set + unset by maxSessionKeys; the arguments are built with push in
    // loops and sent as one array, never spread into a call, whatever their number
    const argv: ScriptArgs = [
      Math.ceil(ttlMs),
      index.sid,
      index.setPrefix,
      maxSessionBytes,
      index.mode,
      index.principal,
      index.guards.length,
    ];
    for (const [field, text] of index.guards) argv.push(field, text);
    const count = argv.length;
    argv.push(0);
    // normalizeChange remembered each value's text: nothing is encoded twice.
    const known = keyTextsOf(change.set);
    for (const field in change.set) {
      if (Object.hasOwn(change.set, field)) argv.push(field, known?.get(field) ?? encodeValue(change.set[field]));
    }
    argv[count] = argv.length - count - 1;
    for (const field of change.unset) argv.push(field);
    return { script: 'sessionkitHashPatch', argv };
  },
};

/**
 * `format: 'json'`: connect-redis's layout, one string of JSON per session (`SET key json PX ttl`),
 * so sessions written by connect-redis are read as they are and the reverse. A patch is a
 * read-merge-write inside one script.
 */
export const jsonLayout: Layout = {
  async read(driver, key, sid) {
    const text = await driver.get(key);
    return text === null ? null : decodeSession(sid, text);
  },
  set(_data, json, ttlMs) {
    return { script: 'sessionkitJsonSet', argv: [Math.ceil(ttlMs), json] };
  },
  patch(change, ttlMs, maxSessionBytes) {
    const argv: ScriptArgs = [Math.ceil(ttlMs), maxSessionBytes, 0];
    const known = keyTextsOf(change.set);
    for (const name in change.set) {
      if (Object.hasOwn(change.set, name))
        argv.push(name, `${JSON.stringify(name)}:${known?.get(name) ?? encodeValue(change.set[name])}`);
    }
    argv[2] = (argv.length - 3) / 2;
    for (const name of change.unset) argv.push(name);
    return { script: 'sessionkitJsonPatch', argv };
  },
};
