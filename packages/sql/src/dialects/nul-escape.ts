/**
 * A session may hold U+0000 (JSON round-trips it), but PostgreSQL's `jsonb` cannot (nor can
 * `text`), and SQLite's JSON functions compare object keys only up to a U+0000 (`json_patch` takes
 * `"a\u0000"` for `"a"`). The PostgreSQL and SQLite dialects therefore store it escaped, reversibly,
 * as `ESC` + `NUL`, where `ESC` is U+FDD0, a Unicode noncharacter meant for this kind of internal
 * use. A user's own U+FDD0 is doubled, so every stored `ESC` starts a pair and nothing the user
 * stores can read back as something else: not the text `\u0000`, not `ESC` itself, not `ESC NUL`.
 *
 * Both escapes take as many UTF-8 bytes as what they replace takes in compact JSON or more
 * (`ESC NUL` is 6 bytes like the JSON escape `\u0000`; `ESC ESC` is 6 for a 3-byte `ESC`), so the
 * stored text is never smaller than the session's JSON and a size check on it cannot under-count.
 */
export const ESC = '\ufdd0';
const ESCAPED_NUL = `${ESC}NUL`;
const ESCAPED_ESC = `${ESC}${ESC}`;

// In JSON text written by JSON.stringify, U+0000 is the escape `\u0000` and U+FDD0 is the raw
// character. `\\` (an escaped backslash) is matched first and kept, so the text `\u0000` (JSON
// `\\u0000`) is never mistaken for an escaped NUL.
const IN_JSON = /\\\\|\\u0000|\ufdd0/g;
const IN_STORED = /\ufdd0(\ufdd0|NUL)/g;
const IN_KEY = /[\u0000\ufdd0]/g;

/** JSON text (from `JSON.stringify`) as it is stored. */
export function escapeJson(json: string): string {
  if (!json.includes('\\u0000') && !json.includes(ESC)) return json;
  return json.replace(IN_JSON, (match) => (match === ESC ? ESCAPED_ESC : match === '\\u0000' ? ESCAPED_NUL : match));
}

/** A top-level key as it appears in the stored JSON. */
export function escapeKey(key: string): string {
  if (!key.includes('\u0000') && !key.includes(ESC)) return key;
  return key.replace(IN_KEY, (char) => (char === ESC ? ESCAPED_ESC : ESCAPED_NUL));
}

/**
 * The session's JSON text from the stored text (in which every non-ASCII character is raw: the
 * dialects write it so and `jsonb::text` returns it so): each `ESC ESC` back to U+FDD0, each
 * `ESC NUL` to the JSON escape `\u0000`.
 */
export function unescapeJson(text: string): string {
  if (!text.includes(ESC)) return text;
  return text.replace(IN_STORED, (_, what: string) => (what === ESC ? ESC : '\\u0000'));
}
