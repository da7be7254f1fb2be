import { rejected, type Rejected } from './reasons.js';

/**
 * Browsers keep a cookie only when its Set-Cookie line (name, `=`, value and attributes) stays
 * within 4096 bytes; every chunk is written to fit that.
 */
export const MAX_SET_COOKIE_BYTES = 4096;

// A sealed session too large for one cookie is split into chunks: `name`, `name.1`, `name.2`, …
// The first chunk's value is `<count>~<seal id>~<part>`, every other `<seal id>~<part>`, where the
// seal id is the first 8 characters of the JWE's authentication tag. A missing chunk, chunks of two
// different seals, or a count that lies are detected before anything is decrypted. A seal that fits
// one cookie is the bare JWE, which any JOSE library opens.
const SEAL_ID_LENGTH = 8;
const FIRST = /^([1-9][0-9]?)~([A-Za-z0-9_-]{8})~/;
const OTHER = /^([A-Za-z0-9_-]{8})~/;

/** Chunk names in order: `name`, `name.1`, … */
export function chunkName(name: string, index: number): string {
  return index === 0 ? name : `${name}.${index}`;
}

/**
 * Splits `sealed` into cookie values such that `chunkName(name, i) + '=' + value + attributes`
 * is at most {@link MAX_SET_COOKIE_BYTES} for each. Returns `undefined` when more than
 * `maxChunks` would be needed. All inputs are ASCII, so characters are bytes.
 */
export function splitIntoChunks(
  sealed: string,
  name: string,
  attributesLength: number,
  maxChunks: number,
): string[] | undefined {
  const room = (index: number) => MAX_SET_COOKIE_BYTES - chunkName(name, index).length - 1 - attributesLength;
  if (sealed.length <= room(0)) return [sealed];
  const sealId = sealIdOf(sealed);
  for (let count = 2; count <= maxChunks; count++) {
    const values: string[] = [];
    let offset = 0;
    for (let index = 0; index < count && offset < sealed.length; index++) {
      const prefix = index === 0 ? `${count}~${sealId}~` : `${sealId}~`;
      const take = room(index) - prefix.length;
      if (take <= 0) return undefined;
      values.push(prefix + sealed.slice(offset, offset + take));
      offset += take;
    }
    if (offset >= sealed.length && values.length === count) return values;
  }
  return undefined;
}

/** The most sealed characters `maxChunks` chunks can carry with these attributes (for error messages). */
export function chunkCapacity(name: string, attributesLength: number, maxChunks: number): number {
  if (maxChunks === 1) return MAX_SET_COOKIE_BYTES - name.length - 1 - attributesLength;
  let total = 0;
  for (let index = 0; index < maxChunks; index++) {
    const prefix = index === 0 ? `${maxChunks}~${'x'.repeat(SEAL_ID_LENGTH)}~` : `${'x'.repeat(SEAL_ID_LENGTH)}~`;
    total += MAX_SET_COOKIE_BYTES - chunkName(name, index).length - 1 - attributesLength - prefix.length;
  }
  return total;
}

/**
 * Reassembles the sealed string from the request's cookies (`values`: chunk name → value), or says
 * why it cannot be: `chunk-count`, `chunk-missing`, `chunk-mismatch`. Returns the bare JWE of a
 * single cookie unchanged, and how many chunks it came in.
 */
export function joinChunks(
  values: ReadonlyMap<string, string>,
  name: string,
  maxChunks: number,
): { sealed: string; chunks: number } | Rejected {
  const first = values.get(name) ?? '';
  if (!first.includes('~')) return { sealed: first, chunks: 1 };
  const head = FIRST.exec(first);
  if (!head) return rejected('malformed');
  const count = Number(head[1]);
  if (count < 2 || count > maxChunks) return rejected('chunk-count');
  const sealId = head[2]!;
  let sealed = first.slice(head[0].length);
  for (let index = 1; index < count; index++) {
    const value = values.get(chunkName(name, index));
    if (value === undefined) return rejected('chunk-missing');
    const match = OTHER.exec(value);
    if (!match) return rejected('malformed');
    if (match[1] !== sealId) return rejected('chunk-mismatch');
    sealed += value.slice(match[0].length);
  }
  // Chunks that all name one seal but were cut at other places (a count that lies) end in another tag.
  if (sealIdOf(sealed) !== sealId) return rejected('chunk-mismatch');
  return { sealed, chunks: count };
}

/** First characters of the JWE's last segment (the GCM tag): unique per seal. */
function sealIdOf(sealed: string): string {
  return sealed.slice(sealed.lastIndexOf('.') + 1, sealed.lastIndexOf('.') + 1 + SEAL_ID_LENGTH);
}
