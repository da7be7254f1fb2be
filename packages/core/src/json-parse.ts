import secureJson from 'secure-json-parse';

/**
 * True when JSON text may decode to a `__proto__` or `constructor` key: the names written out, any
 * `\u` escape (the only way JSON can spell a character in another form), or a byte order mark.
 * Text without any of them decodes safely with plain `JSON.parse`.
 */
export function mayHoldForbiddenKeys(text: string): boolean {
  return (
    text.includes('__proto__') || text.includes('constructor') || text.includes('\\u') || text.charCodeAt(0) === 0xfeff
  );
}

/**
 * Parses JSON text so that it can never pollute a prototype: `__proto__` and
 * `constructor.prototype` keys are dropped at every depth (secure-json-parse's `remove` actions),
 * and a leading byte order mark is skipped. Text that cannot hold such a key (see
 * {@link mayHoldForbiddenKeys}) goes straight to `JSON.parse`, which is what secure-json-parse
 * would return for it, without its two regular-expression scans of the whole text.
 * @throws SyntaxError when the text is not JSON.
 */
export function parseJson(input: string | Buffer): unknown {
  const text = typeof input === 'string' ? input : input.toString('utf8');
  if (!mayHoldForbiddenKeys(text)) return JSON.parse(text);
  return secureJson.parse(text, undefined, { protoAction: 'remove', constructorAction: 'remove' });
}
