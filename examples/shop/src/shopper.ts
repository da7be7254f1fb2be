import { CATALOG } from './catalog.js';

/** One request as the client saw it. */
export interface RequestRecord {
  /** `X-Served-By` of the final answer; `undefined` when no instance answered. */
  servedBy: string | undefined;
  status: number;
  /** Wall time including retries, ms. */
  ms: number;
  /** Bytes of the Cookie header the request carried (session and balancer cookies), 0 without one. */
  cookieBytes: number;
}

/** The final answer to a request: status (0 when no connection), parsed JSON body, `X-Served-By`. */
export interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the JSON body of any shop route, whose fields callers read freely
  data: any;
  servedBy: string | undefined;
  /** The answer's `X-Session-Cookie` (the session cookie's size from now on), when it has one. */
  sessionCookie?: string;
}

/** Statuses a person would answer by trying again: the balancer could not reach an instance. */
const RETRYABLE = new Set([502, 503, 504]);
// 250 ms, 500 ms, … between attempts: about 7 s in all, enough for a balancer or a Sentinel failover.
const MAX_ATTEMPTS = 8;
const RETRY_DELAY_MS = 250;

/**
 * A browser-like HTTP client for one shopper: keeps its cookies (session and sticky route) and
 * tries again, as a person pressing reload would, when the balancer answers 502/503/504 or the
 * connection fails while an instance is going down.
 */
export class Shopper {
  readonly #cookies = new Map<string, string>();
  /** Added quantity per sku, as the shopper expects to find it in the cart. */
  readonly expected = new Map<string, number>();
  /** Seeded by the name, so a shopper picks the same products in every run. */
  readonly #random: () => number;
  readonly #record: (entry: RequestRecord) => void;

  constructor(
    /** Where requests go: the balancer, or one instance directly (tests switch it as a browser would switch host). */
    public baseUrl: string,
    readonly name: string,
    record: (entry: RequestRecord) => void = () => {},
  ) {
    this.#record = record;
    let seed = 0;
    for (const ch of name) seed = (Math.imul(seed, 31) + ch.charCodeAt(0)) >>> 0;
    this.#random = seededRandom(seed);
  }

  /** The Cookie header this shopper sends now ('' without cookies). */
  get cookieHeader(): string {
    return [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async request(method: string, path: string, body?: unknown): Promise<Answer> {
    const started = performance.now();
    let last: Answer = { status: 0, data: null, servedBy: undefined };
    let cookieBytes = 0;
    for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      try {
        const cookie = this.cookieHeader;
        cookieBytes = Buffer.byteLength(cookie);
        const response = await fetch(this.baseUrl + path, {
          method,
          headers: {
            ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            ...(cookie ? { cookie } : {}),
          },
          ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        });
        this.#keepCookies(response.headers.getSetCookie());
        const text = await response.text();
        const sessionCookie = response.headers.get('x-session-cookie') ?? undefined;
        last = {
          status: response.status,
          data: parseJson(text),
          servedBy: response.headers.get('x-served-by') ?? undefined,
          ...(sessionCookie ? { sessionCookie } : {}),
        };
        if (!RETRYABLE.has(response.status)) break;
      } catch {
        last = { status: 0, data: null, servedBy: undefined };
      }
      if (attempt < MAX_ATTEMPTS) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * attempt));
    }
    this.#record({ servedBy: last.servedBy, status: last.status, ms: performance.now() - started, cookieBytes });
    return last;
  }

  login(): Promise<Answer> {
    return this.request('POST', '/api/login', { user: this.name });
  }

  /** Adds one product not in the cart yet, 1 to 3 of it. */
  async addRandomItem(): Promise<void> {
    const choices = CATALOG.filter((product) => !this.expected.has(product.sku));
    const product = choices[Math.floor(this.#random() * choices.length)]!;
    const qty = 1 + Math.floor(this.#random() * 3);
    const { status } = await this.request('POST', '/api/cart/items', { sku: product.sku, qty });
    // Only what the shop accepted is expected back; a refused add is not the store's loss.
    if (status === 200) this.expected.set(product.sku, qty);
  }

  /**
   * Adds two products not in the cart yet at the same time (two requests in flight at once, as
   * from two browser tabs); both are expected back, whichever finished last.
   */
  async addTwoConcurrently(): Promise<void> {
    const choices = CATALOG.filter((product) => !this.expected.has(product.sku));
    const first = choices[Math.floor(this.#random() * choices.length)]!;
    const rest = choices.filter((product) => product !== first);
    const second = rest[Math.floor(this.#random() * rest.length)]!;
    const answers = await Promise.all(
      [first, second].map((product) => this.request('POST', '/api/cart/items', { sku: product.sku, qty: 1 })),
    );
    answers.forEach(({ status }, i) => {
      if (status === 200) this.expected.set([first, second][i]!.sku, 1);
    });
  }

  /**
   * Reads the cart back: `intact` when every item the shopper added is in it, `missing` when an
   * item is not, `unreadable` when no instance answered the read even after retries.
   */
  async checkCart(): Promise<'intact' | 'missing' | 'unreadable'> {
    const { status, data } = await this.request('GET', '/api/cart');
    if (status !== 200 || !Array.isArray(data?.items)) return 'unreadable';
    const inCart = new Set((data.items as { sku: string }[]).map((item) => item.sku));
    return this.expected.size > 0 && [...this.expected.keys()].every((sku) => inCart.has(sku)) ? 'intact' : 'missing';
  }

  #keepCookies(setCookies: string[]): void {
    for (const header of setCookies) {
      const [pair = '', ...attributes] = header.split(';');
      const eq = pair.indexOf('=');
      if (eq < 1) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [key = '', val = ''] = a.split('=').map((s) => s.trim());
        return (
          (key.toLowerCase() === 'max-age' && Number(val) <= 0) ||
          (key.toLowerCase() === 'expires' && Date.parse(val) <= Date.now())
        );
      });
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Runs `work` for every item with at most `limit` at a time. */
export async function forEachLimited<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  });
  await Promise.all(lanes);
}

/** A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
