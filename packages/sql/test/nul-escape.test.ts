import assert from 'node:assert/strict';
import { describe, it } from 'vitest';
import { ESC, escapeJson, escapeKey, unescapeJson } from '../src/dialects/nul-escape.js';

// The escape PostgreSQL and SQLite store U+0000 with: reversible, never smaller than the JSON it
// replaces, and never confusable with text a user stores.
describe('U+0000 escape', () => {
  const alphabet = ['\u0000', ESC, 'N', 'U', 'L', '\\', 'u', '0', '"', 'ü', '\ue000'];
  // Every string of up to 4 characters from the alphabet: 16,105 strings.
  function* strings(length: number): Generator<string> {
    if (length === 0) return yield '';
    for (const shorter of strings(length - 1)) for (const char of alphabet) yield shorter + char;
  }

  it('round-trips every short string built from NUL, U+FDD0, the letters of NUL, backslashes and quotes', () => {
    let checked = 0;
    for (let length = 0; length <= 4; length++) {
      for (const text of strings(length)) {
        const json = JSON.stringify({ [text]: text });
        const stored = escapeJson(json);
        assert.ok(!stored.includes('\\u0000'), `stored form of ${JSON.stringify(text)} still holds a NUL escape`);
        assert.ok(Buffer.byteLength(stored) >= Buffer.byteLength(json), 'the stored form is never smaller');
        assert.equal(unescapeJson(stored), json, JSON.stringify(text));
        // a key escaped alone is the key as it appears in the stored JSON (for removing it there)
        assert.deepEqual(Object.keys(JSON.parse(stored) as object), [escapeKey(text)]);
        checked++;
      }
    }
    assert.equal(checked, 1 + 11 + 121 + 1331 + 14641);
  });

  it('leaves text without NUL or U+FDD0 as it is', () => {
    const json = JSON.stringify({ a: '\\u0000', b: '\ue000', c: 'NUL' });
    assert.equal(escapeJson(json), json);
    assert.equal(unescapeJson(json), json);
    assert.equal(escapeKey('plain key'), 'plain key');
  });
});
