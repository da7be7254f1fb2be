// The shop page: plain JS over the JSON API. Every API call is logged with the instance that
// answered it (X-Served-By), so the balancer's routing is visible as you click.
// biome-ignore lint/suspicious/noRedundantUseStrict: a classic <script>, not a module, so strict mode needs the directive
'use strict';

const $ = (id) => document.getElementById(id);
const MAX_LOG = 20;
const POLL_MS = 3000;
let products = [];
let queue = Promise.resolve();

function el(tag, { dataset = {}, ...props } = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  Object.assign(node.dataset, dataset);
  node.append(...children);
  return node;
}

function money(cents) {
  return (cents / 100).toFixed(2);
}

const PALETTE = ['#2563eb', '#d97706', '#059669', '#7c3aed', '#db2777', '#0891b2', '#65a30d', '#dc2626'];

/** shop-1, shop-2, … get distinct colours; any other id one picked by its hash. */
function instanceColor(id) {
  const number = /(\d+)$/.exec(id);
  let index = number ? Number(number[1]) - 1 : 0;
  if (!number) for (const ch of String(id)) index = (index * 31 + ch.charCodeAt(0)) >>> 0;
  return PALETTE[index % PALETTE.length];
}

function badge(id) {
  const node = el('span', { className: 'badge', textContent: id || '—' });
  if (id) node.style.background = instanceColor(id);
  return node;
}

function showError(message) {
  const box = $('error');
  box.textContent = message;
  box.hidden = !message;
}

function logRequest(method, path, status, servedBy) {
  const time = new Date().toLocaleTimeString([], { hour12: false });
  const row = el(
    'tr',
    { dataset: { servedBy: servedBy || '' } },
    el('td', { textContent: time }),
    el('td', { className: 'mono', textContent: `${method} ${path}` }),
    el('td', { textContent: String(status), className: status >= 400 || status === 0 ? 'status-error' : '' }),
    el('td', {}, badge(servedBy)),
  );
  const body = $('requests');
  body.prepend(row);
  while (body.rows.length > MAX_LOG) body.deleteRow(body.rows.length - 1);
  if (servedBy) {
    $('served-by').textContent = servedBy;
    $('served-by').style.background = instanceColor(servedBy);
  }
}

/**
 * `X-Session-Cookie: strategy=cookie; bytes=812; chunks=1`: with sealed cookies the whole session
 * travels in it, so its size grows with the cart; with a store it is only the session id.
 */
function showSessionCookie(header) {
  if (!header) return;
  const fields = Object.fromEntries(header.split(';').map((part) => part.trim().split('=')));
  const bytes = Number(fields.bytes);
  const chunks = Number(fields.chunks);
  const box = $('session-cookie');
  box.dataset.bytes = String(bytes);
  box.dataset.chunks = String(chunks);
  if (!chunks) {
    box.textContent = 'none yet';
    return;
  }
  const what = fields.strategy === 'cookie' ? 'sealed session' : 'session id';
  box.textContent = `${bytes.toLocaleString()} B in ${chunks} cookie${chunks === 1 ? '' : 's'} (${what})`;
}

/** Calls the shop API through the balancer and logs who answered. */
async function api(method, path, body) {
  let response;
  try {
    response = await fetch(path, {
      method,
      headers: body ? { 'content-type': 'application/json' } : {},
      body: body ? JSON.stringify(body) : undefined,
      credentials: 'same-origin',
    });
  } catch (err) {
    logRequest(method, path, 0, '');
    throw new Error(`${method} ${path}: ${err.message}`);
  }
  logRequest(method, path, response.status, response.headers.get('x-served-by'));
  showSessionCookie(response.headers.get('x-session-cookie'));
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(data.error || `${method} ${path} answered ${response.status}`);
  return data;
}

/** Cart changes run one after another: the cart is one session key, last write wins. */
function enqueue(work) {
  queue = queue.then(work).then(
    () => showError(''),
    (err) => showError(err.message),
  );
  return queue;
}

function renderProducts() {
  $('products').replaceChildren(
    ...products.map((product) =>
      el(
        'li',
        { className: 'product' },
        el('span', { className: 'name', textContent: product.name }),
        el('span', { className: 'desc', textContent: product.description }),
        el('span', { className: 'price', textContent: money(product.price) }),
        el('button', {
          type: 'button',
          textContent: 'Add to cart',
          onclick: () =>
            enqueue(async () => renderCart(await api('POST', '/api/cart/items', { sku: product.sku, qty: 1 }))),
          dataset: { sku: product.sku, testid: `add-${product.sku}` },
        }),
      ),
    ),
  );
}

function renderCart(cart) {
  const loggedIn = Boolean(cart.user);
  $('login').hidden = loggedIn;
  $('account').hidden = !loggedIn;
  $('user-name').textContent = cart.user || '';
  let total = 0;
  const rows = cart.items.map(({ sku, qty }) => {
    const product = products.find((p) => p.sku === sku) || { name: sku, price: 0 };
    total += product.price * qty;
    return el(
      'li',
      { dataset: { sku, qty: String(qty) } },
      el('span', {}, product.name, el('span', { className: 'qty', textContent: `× ${qty}` })),
      el('button', {
        type: 'button',
        className: 'link',
        textContent: 'Remove',
        onclick: () =>
          enqueue(async () => renderCart(await api('DELETE', `/api/cart/items/${encodeURIComponent(sku)}`))),
      }),
    );
  });
  $('cart-items').replaceChildren(...rows);
  $('cart-empty').hidden = rows.length > 0;
  $('cart-total').textContent = money(total);
}

async function refreshInstances() {
  const response = await fetch('/__demo/instances').catch(() => null);
  if (!response?.ok) {
    // Not behind the demo balancer (e.g. one instance run on its own): no controls to show.
    $('instances-panel').hidden = true;
    return false;
  }
  const instances = await response.json();
  $('instances-panel').hidden = false;
  $('instances').replaceChildren(
    ...instances.map((instance) => {
      return el(
        'tr',
        { dataset: { instance: instance.id } },
        el('td', {}, badge(instance.id)),
        el('td', { className: 'mono', textContent: instance.url }),
        el('td', { textContent: instance.pid ?? '—' }),
        el('td', {
          className: instance.healthy ? 'health-up' : 'health-down',
          textContent: instance.healthy ? 'up' : 'down',
        }),
        el(
          'td',
          { className: 'actions' },
          el('button', {
            type: 'button',
            className: 'danger',
            textContent: 'Kill',
            disabled: !instance.pid,
            onclick: () => control(instance.id, 'kill'),
          }),
          el('button', {
            type: 'button',
            className: 'secondary',
            textContent: 'Restart',
            onclick: () => control(instance.id, 'restart'),
          }),
        ),
      );
    }),
  );
  return true;
}

async function control(id, action) {
  const response = await fetch(`/__demo/instances/${encodeURIComponent(id)}/${action}`, { method: 'POST' }).catch(
    () => null,
  );
  if (!response?.ok) showError(`could not ${action} ${id}`);
  await refreshInstances();
}

async function main() {
  const info = await api('GET', '/api/info');
  $('store').textContent = info.store;
  $('routing').textContent = info.routing;
  products = (await api('GET', '/api/products')).products;
  renderProducts();
  await enqueue(async () => renderCart(await api('GET', '/api/cart')));

  $('login').addEventListener('submit', (event) => {
    event.preventDefault();
    const user = $('user').value.trim();
    enqueue(async () => renderCart(await api('POST', '/api/login', { user })));
  });
  $('logout').addEventListener('click', () => enqueue(async () => renderCart(await api('POST', '/api/logout'))));

  const withControls = await refreshInstances();
  let polling = false;
  setInterval(() => {
    // One poll at a time: a slow answer must not pile reads up behind it.
    if (polling) return;
    polling = true;
    enqueue(async () => renderCart(await api('GET', '/api/cart'))).finally(() => (polling = false));
  }, POLL_MS);
  if (withControls) setInterval(refreshInstances, POLL_MS);
  document.body.dataset.ready = 'true';
}

main().catch((err) => showError(err.message));
