/** The outcome of checking a request target: the origin-form path to forward, or why it is refused. */
export type TargetCheck = { ok: true; path: string } | { ok: false; reason: string };

const BASE = 'http://sessionkit.invalid';
const DEFAULT_PORT: Record<string, string> = { 'http:': '80', 'https:': '443' };

/** `host[:port]` lower-cased, with the scheme's default port dropped. */
function authority(host: string, port: string, protocol: string): string {
  return (port && port !== DEFAULT_PORT[protocol] ? `${host}:${port}` : host).toLowerCase();
}

/**
 * Checks the request target (`req.url`) of a request the balancer is about to forward and gives the
 * path the backend will see. The backend must only ever see a path on its own host:
 *
 * - origin-form (`/path?query`) is normalised as the proxy would (dot segments resolved, `\` read as
 *   `/`, as WHATWG URL parsers do), and refused when the result starts with `//`, which an app that
 *   resolves its URL (`new URL(req.url, base)`, a redirect to `req.url`) would read as another
 *   authority: `//evil.example/x`, `/.//evil.example`, `/\evil.example`;
 * - absolute-form (`http://host/path`) is accepted only for the request's own `Host` and becomes its
 *   path; naming another host, it is refused, so the balancer is never an open proxy;
 * - anything else (`*`, authority-form) is refused.
 */
export function checkRequestTarget(url: string | undefined, host: string | undefined): TargetCheck {
  if (!url) return { ok: false, reason: 'the request has no target' };
  let parsed: URL;
  if (url.startsWith('/')) {
    if (url.startsWith('//') || url.startsWith('/\\')) {
      return {
        ok: false,
        reason: 'a request target must be a path starting with a single /, not a network-path reference (//host)',
      };
    }
    try {
      parsed = new URL(BASE + url);
    } catch {
      return { ok: false, reason: 'the request target is not a valid path' };
    }
  } else if (/^https?:\/\//i.test(url)) {
    try {
      parsed = new URL(url);
    } catch {
      return { ok: false, reason: 'the absolute-form request target is not a valid URL' };
    }
    let own: URL | undefined;
    try {
      own = host ? new URL(`${parsed.protocol}//${host}`) : undefined;
    } catch {
      own = undefined;
    }
    const named = authority(parsed.hostname, parsed.port, parsed.protocol);
    if (!own || parsed.username || parsed.password || named !== authority(own.hostname, own.port, own.protocol)) {
      return {
        ok: false,
        reason: 'an absolute-form request target must name the Host it is sent to (this is not a forward proxy)',
      };
    }
  } else {
    return { ok: false, reason: 'a request target must be a path starting with /' };
  }
  const path = parsed.pathname + parsed.search;
  if (!path.startsWith('/') || path.startsWith('//')) {
    return { ok: false, reason: 'the request target resolves to a network-path reference (//host)' };
  }
  return { ok: true, path };
}
