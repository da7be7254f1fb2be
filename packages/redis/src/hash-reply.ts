/**
 * An HGETALL reply as `[field, value, field, value, …]` strings, whatever form the client decoded
 * it to: the RESP2 array as sent (Buffers where a client maps strings so), or a RESP3 map as a
 * `Map` or a plain object. Anything else is an empty hash.
 */
export function hashFields(reply: unknown): string[] {
  if (Array.isArray(reply)) return reply.every((item) => typeof item === 'string') ? reply : reply.map(String);
  const pairs = reply instanceof Map ? [...reply] : reply && typeof reply === 'object' ? Object.entries(reply) : [];
  return pairs.flatMap(([field, value]) => [String(field), String(value)]);
}
