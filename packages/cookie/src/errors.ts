import { SessionTooLargeError } from '@sessionkit/core';

/**
 * A `SessionTooLargeError` (code `ERR_SESSION_TOO_LARGE`) for a seal that does not fit the
 * cookies allowed: `bytes` is the sealed size, `maxBytes` what `maxChunks` cookies carry.
 */
export function sealTooLarge(
  bytes: number,
  maxBytes: number,
  maxChunks: number,
  where: 'cookies' | 'koa',
): SessionTooLargeError {
  const error = new SessionTooLargeError(bytes, maxBytes);
  error.message =
    where === 'koa'
      ? `Sealed session is ${bytes} bytes, over the ${maxBytes} bytes one koa-session cookie can carry (4096 bytes per Set-Cookie line with its name and attributes); nothing was written and the previous cookie stays valid. Keep large data out of the session (keep it server-side under an id), turn on compress: true, or use cookieSession (Express), which splits a session over up to maxChunks cookies.`
      : `Sealed session is ${bytes} bytes, over the ${maxBytes} bytes that ${maxChunks} cookie${maxChunks === 1 ? '' : 's'} can carry (maxChunks ${maxChunks}; 4096 bytes per Set-Cookie line with its name and attributes); nothing was written and the previous cookie stays valid. Keep large data out of the session (keep it server-side under an id), turn on compress: true, or raise maxChunks (each chunk adds up to 4 KB to every request, and Node answers 431 above 16 KB of request headers by default).`;
  return error;
}
