import { SessionEncodeError, type SessionChange, type SessionData } from '@sessionkit/core';

/** The JSON text of each top-level key, as it would be stored (keys without a JSON form left out). */
export type KeyTexts = Map<string, string>;

/** @throws SessionEncodeError for a value with a cycle or a BigInt; nothing is written. */
export function keyTexts(data: SessionData): KeyTexts {
  const texts: KeyTexts = new Map();
  for (const [key, value] of Object.entries(data)) {
    let text: string | undefined;
    try {
      text = JSON.stringify(value);
    } catch (err) {
      throw new SessionEncodeError(`key ${JSON.stringify(key)}: ${(err as Error).message}`, { cause: err });
    }
    if (text !== undefined) texts.set(key, text);
  }
  return texts;
}

/** The keys that differ between the session as loaded and as saved, with plain JSON values. */
export function changeBetween(loaded: KeyTexts, current: KeyTexts): SessionChange {
  const set: SessionData = {};
  for (const [key, text] of current) if (loaded.get(key) !== text) set[key] = JSON.parse(text);
  return { set, unset: [...loaded.keys()].filter((key) => !current.has(key)) };
}
