/**
 * A session with every value replaced by its type and size, keys and nesting kept, so an operator
 * can see a session's shape without reading what it holds. `cookie` (expiry and flags, set by the
 * framework) stays readable.
 *
 * @example
 * redactSession({ cookie: { maxAge: 60000 }, cart: ['tea'], token: 'abc' })
 * // { cookie: { maxAge: 60000 }, cart: ['‹string, 3 chars›'], token: '‹string, 3 chars›' }
 */
export function redactSession(data: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(data)) out[key] = key === 'cookie' ? value : redactValue(value);
  return out;
}

function redactValue(value: unknown): unknown {
  if (value === null) return null;
  if (Array.isArray(value)) return value.map(redactValue);
  switch (typeof value) {
    case 'string':
      return `‹string, ${value.length} chars›`;
    case 'number':
      return '‹number›';
    case 'boolean':
      return '‹boolean›';
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) out[key] = redactValue(inner);
      return out;
    }
    default:
      return `‹${typeof value}›`;
  }
}
