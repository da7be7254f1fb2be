import type { Cart } from './cart.js';

/** Session keys of the cart: one top-level key per product, so concurrent changes of different products merge in a store. */
export const ITEM_PREFIX = 'cart:';

/** What one cart key holds: the quantity and the position the product was first added at. */
interface ItemEntry {
  qty: number;
  n: number;
}

/** `req.session`: its own enumerable keys are the session data. */
type SessionBag = object;

const bag = (session: SessionBag) => session as Record<string, unknown>;

/**
 * The cart of a session, in the order products were first added. Each product is a top-level
 * session key (`cart:<sku>`): a store that writes only the keys a request changed (sessionkit's
 * delta writes) keeps two concurrent adds of different products, where a single `cart` key would
 * let the later save overwrite the earlier one.
 */
export function cartOf(session: SessionBag): Cart {
  const entries = Object.keys(session)
    .filter((key) => key.startsWith(ITEM_PREFIX))
    .map((key) => ({ sku: key.slice(ITEM_PREFIX.length), entry: bag(session)[key] as ItemEntry }))
    .filter(({ entry }) => typeof entry?.qty === 'number');
  entries.sort((a, b) => a.entry.n - b.entry.n || a.sku.localeCompare(b.sku));
  return Object.fromEntries(entries.map(({ sku, entry }) => [sku, entry.qty]));
}

/** Writes `next` into the session, touching only the keys of products whose quantity changed. */
export function storeCart(session: SessionBag, next: Cart): void {
  const data = bag(session);
  const current = cartOf(session);
  let n = Math.max(0, ...Object.keys(current).map((sku) => (data[ITEM_PREFIX + sku] as ItemEntry).n));
  for (const [sku, qty] of Object.entries(next)) {
    if (current[sku] === qty) continue;
    const previous = data[ITEM_PREFIX + sku] as ItemEntry | undefined;
    data[ITEM_PREFIX + sku] = { qty, n: previous?.n ?? ++n } satisfies ItemEntry;
  }
  for (const sku of Object.keys(current)) if (!(sku in next)) delete data[ITEM_PREFIX + sku];
}

/** The cart keys of a session, to carry them into a regenerated one. */
export function cartEntries(session: SessionBag): [string, unknown][] {
  return Object.entries(session).filter(([key]) => key.startsWith(ITEM_PREFIX));
}
