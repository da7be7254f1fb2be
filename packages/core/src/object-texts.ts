import type { KeyTexts } from './delta.js';
import { mayHoldForbiddenKeys } from './json-parse.js';

const QUOTE = 0x22; // "
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b; // {
const CLOSE_OBJECT = 0x7d; // }
const OPEN_ARRAY = 0x5b; // [
const CLOSE_ARRAY = 0x5d; // ]

/**
 * The JSON text of each top-level key of a JSON object text as `JSON.stringify` writes it, cut out
 * of the text without decoding it: what `keyTexts(JSON.parse(text))` gives, at a fraction of the
 * cost, for text that JSON.parse accepted before. `undefined` (decode it instead) when the text
 * has whitespace between tokens (another writer's formatting, e.g. PostgreSQL's jsonb output),
 * is not an object, or may hold a `__proto__`/`constructor` key or a `\u` escape (the safe parse
 * must see those).
 *
 * Values are compared as text by the session diff, so a value written in another valid spelling
 * than `JSON.stringify`'s (`1.0`, `\/`) only shows up as changed and is rewritten: never wrong.
 */
export function objectKeyTexts(text: string): KeyTexts | undefined {
  const end = text.length - 1;
  if (text.charCodeAt(0) !== OPEN_OBJECT || text.charCodeAt(end) !== CLOSE_OBJECT || mayHoldForbiddenKeys(text))
    return undefined;
  const texts: KeyTexts = new Map();
  if (end === 1) return texts;
  let at = 1;
  for (;;) {
    if (text.charCodeAt(at) !== QUOTE) return undefined;
    const keyEnd = stringEnd(text, at);
    if (keyEnd < 0 || text.charCodeAt(keyEnd) !== COLON) return undefined;
    const quoted = text.slice(at, keyEnd);
    const key = quoted.includes('\\') ? (JSON.parse(quoted) as string) : quoted.slice(1, -1);
    const valueStart = keyEnd + 1;
    const valueEnd = valueEndAt(text, valueStart);
    if (valueEnd <= valueStart) return undefined;
    texts.set(key, text.slice(valueStart, valueEnd));
    const next = text.charCodeAt(valueEnd);
    if (next === COMMA) at = valueEnd + 1;
    else return next === CLOSE_OBJECT && valueEnd === end ? texts : undefined;
  }
}

/** Index just past the string whose opening quote is at `at`, or -1 when it does not close. */
function stringEnd(text: string, at: number): number {
  // indexOf runs natively over the string's characters; only a quote needs a look back.
  for (let from = at + 1; ; ) {
    const quote = text.indexOf('"', from);
    if (quote < 0) return -1;
    let before = quote - 1;
    while (text.charCodeAt(before) === BACKSLASH) before--;
    // An even number of backslashes before the quote escape each other, not the quote.
    if ((quote - 1 - before) % 2 === 0) return quote + 1;
    from = quote + 1;
  }
}

/** Index just past the value starting at `at`, or -1 on whitespace or a container that does not close. */
function valueEndAt(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === QUOTE) return stringEnd(text, at);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    for (let i = at; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === QUOTE) {
        i = stringEnd(text, i) - 1;
        if (i < 0) return -1;
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (--depth === 0) return i + 1;
      } else if (c <= 0x20) return -1;
    }
    return -1;
  }
  // A number, true, false or null: up to the next comma or the closing brace.
  for (let i = at; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === COMMA || c === CLOSE_OBJECT) return i;
    if (c <= 0x20) return -1;
  }
  return -1;
}
