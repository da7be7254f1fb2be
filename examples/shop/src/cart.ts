import { MAX_QTY, findProduct } from './catalog.js';

/** Quantity per sku, in the order items were first added: one session key. */
export type Cart = Record<string, number>;

/** What `GET /api/cart` and every cart change answer. */
export interface CartView {
  user: string | null;
  items: { sku: string; qty: number }[];
}

/** A refused request: HTTP status and a message for the `error` field. */
export interface Refusal {
  status: 400 | 404;
  error: string;
}

const USER = /^[A-Za-z0-9 ._@-]{1,64}$/;

export function cartView(user: string | undefined, cart: Cart | undefined): CartView {
  return { user: user ?? null, items: Object.entries(cart ?? {}).map(([sku, qty]) => ({ sku, qty })) };
}

/** `POST /api/cart/items` {sku, qty = 1}: the new cart, or why the body is refused. Quantities cap at 99. */
export function addItem(cart: Cart | undefined, body: unknown): Cart | Refusal {
  const { sku, qty = 1 } = (body ?? {}) as { sku?: unknown; qty?: unknown };
  if (typeof sku !== 'string' || !findProduct(sku)) {
    return { status: 404, error: `unknown sku ${JSON.stringify(sku)}; GET /api/products lists them` };
  }
  if (typeof qty !== 'number' || !Number.isInteger(qty) || qty < 1 || qty > MAX_QTY) {
    return { status: 400, error: `qty must be an integer from 1 to ${MAX_QTY}` };
  }
  return { ...cart, [sku]: Math.min(MAX_QTY, (cart?.[sku] ?? 0) + qty) };
}

/** `DELETE /api/cart/items/:sku`: the cart without it (unchanged when it was not there), or a refusal for an unknown sku. */
export function removeItem(cart: Cart | undefined, sku: string): Cart | Refusal {
  if (!findProduct(sku)) return { status: 404, error: `unknown sku ${JSON.stringify(sku)}` };
  const { [sku]: _removed, ...rest } = cart ?? {};
  return rest;
}

/** `POST /api/login` {user}: the user name, or a refusal. */
export function userName(body: unknown): string | Refusal {
  const { user } = (body ?? {}) as { user?: unknown };
  if (typeof user !== 'string' || !USER.test(user))
    return { status: 400, error: 'user must be 1 to 64 letters, digits, spaces or ._@-' };
  return user;
}

export function isRefusal(value: unknown): value is Refusal {
  return typeof value === 'object' && value !== null && 'error' in value && 'status' in value;
}
