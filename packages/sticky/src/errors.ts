/**
 * Thrown synchronously for invalid configuration: a bad backend id or URL, an unknown strategy, a
 * missing secret, a bad CLI argument. `code` is stable: `ERR_STICKY_CONFIG`.
 */
export class StickyConfigError extends Error {
  readonly code = 'ERR_STICKY_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'StickyConfigError';
  }
}
