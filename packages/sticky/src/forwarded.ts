import type { IncomingMessage } from 'node:http';

type Headers = Record<string, string | string[] | undefined>;
interface RequestLike {
  socket: { remoteAddress?: string | undefined; encrypted?: boolean };
  headers: Headers;
}

/**
 * Headers other proxies use to name the client, its scheme, port or host. Only a trusted proxy may
 * set them: with `trustProxy` 0 they are removed, so an app that reads one of them (Spring's
 * `Forwarded`, nginx's `X-Real-IP`, Rails' `X-Forwarded-Port`) cannot be fooled by the client.
 */
const PROXY_ONLY_HEADERS = [
  'forwarded',
  'x-real-ip',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-forwarded-ssl',
  'x-forwarded-scheme',
  'x-forwarded-server',
  'x-client-ip',
  'true-client-ip',
];

const HOST = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._-]+)(?::\d{1,5})?$/;

/** The comma-separated entries of a header that may appear more than once. */
function entries(header: string | string[] | undefined): string[] {
  return (Array.isArray(header) ? header.join(',') : (header ?? ''))
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/** `::ffff:10.0.0.1` and `10.0.0.1` are one client. */
export function normalizeAddress(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

/**
 * The trusted part of the forwarding chain, client first, socket peer last: the socket peer alone
 * with `trustProxy` 0; otherwise the last `trustProxy` entries of `X-Forwarded-For` (each trusted
 * proxy appended the address it saw) plus the peer. Entries further left were written by the
 * client and are dropped. The first entry is the client address (Express's `trust proxy = n`).
 */
export function forwardedChain(req: RequestLike, trustProxy: number): string[] {
  const peer = normalizeAddress(req.socket.remoteAddress ?? '');
  if (trustProxy === 0) return [peer];
  const forwarded = entries(req.headers['x-forwarded-for']).map(normalizeAddress);
  return [...forwarded.slice(Math.max(0, forwarded.length - trustProxy)), peer];
}

/**
 * The client address of a request: the socket's peer address, or, with `trustProxy: n`, the
 * address n hops back in `X-Forwarded-For` (counting the socket peer as hop 0), as Express's
 * `trust proxy = n`. With `trustProxy` 0 or unset the header is ignored, so a client cannot choose
 * its own address by sending it. It is the first entry of the `X-Forwarded-For` the app receives.
 */
export function clientAddress(req: RequestLike, trustProxy = 0): string {
  return forwardedChain(req, trustProxy)[0] ?? '';
}

/**
 * The value a trusted proxy gave in a `X-Forwarded-Proto`/`-Host` header: the one of the outermost
 * trusted hop when the proxies appended (`client-said, proxy-saw` keeps `proxy-saw` with one
 * trusted hop), the only one when they replaced it. Undefined with `trustProxy` 0.
 */
function trustedValue(header: string | string[] | undefined, trustProxy: number): string | undefined {
  if (trustProxy === 0) return undefined;
  const values = entries(header);
  return values[Math.max(0, values.length - trustProxy)];
}

/**
 * Rewrites the forwarded headers of a request before it is proxied, so the app can believe them:
 * `X-Forwarded-For` is exactly the trusted chain (the socket address alone with `trustProxy` 0),
 * `X-Forwarded-Proto` is `http`/`https` from the connection or a trusted proxy, `X-Forwarded-Host`
 * a host from a trusted proxy or the `Host` header, each a single value. Other proxy headers
 * (`Forwarded`, `X-Real-IP`, …) are removed unless a proxy is trusted. `Host` is left as it is.
 */
export function setForwardedHeaders(req: IncomingMessage | RequestLike, trustProxy: number): void {
  const headers = req.headers as Headers;
  headers['x-forwarded-for'] = forwardedChain(req as RequestLike, trustProxy).join(', ');

  const encrypted = (req.socket as { encrypted?: boolean }).encrypted === true;
  const proto = trustedValue(headers['x-forwarded-proto'], trustProxy)?.toLowerCase();
  headers['x-forwarded-proto'] = proto === 'http' || proto === 'https' ? proto : encrypted ? 'https' : 'http';

  const forwardedHost = trustedValue(headers['x-forwarded-host'], trustProxy);
  const host = forwardedHost !== undefined && HOST.test(forwardedHost) ? forwardedHost : headers.host;
  if (typeof host === 'string' && host !== '') headers['x-forwarded-host'] = host;
  else delete headers['x-forwarded-host'];

  if (trustProxy === 0) for (const name of PROXY_ONLY_HEADERS) delete headers[name];
}
