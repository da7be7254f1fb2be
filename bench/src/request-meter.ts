// What the benchmarked apps (server.ts, fastify-app.ts) count per request for the runner's `mark`:
// requests, and the header bytes of each request and its response.

/** Called by an app once per request, and once per response when it is sent. */
export interface RequestMeter {
  /** A request arrived, with its header fields as Node received them (`req.rawHeaders`). */
  request(rawHeaders: readonly string[]): void;
  /** Its response went out with these header fields (`res.getHeaders()`, Fastify's `reply.getHeaders()`). */
  response(headers: Readonly<Record<string, number | string | readonly string[] | undefined>>): void;
}

/** Bytes of header fields as they travel: `name: value\r\n` each (request line not counted). */
export function rawHeaderBytes(raw: readonly string[]): number {
  let bytes = 0;
  for (let i = 0; i < raw.length; i += 2) bytes += raw[i]!.length + raw[i + 1]!.length + 4;
  return bytes;
}

/** Bytes of response header fields, counted the same way (status line not counted). */
export function headerFieldBytes(
  headers: Readonly<Record<string, number | string | readonly string[] | undefined>>,
): number {
  let bytes = 0;
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) bytes += name.length + String(one).length + 4;
  }
  return bytes;
}
