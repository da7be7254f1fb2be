import { access, constants, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineAvailable } from '@sessionkit/test-suite';
import { startOnFreePorts, type Deployment } from '../src/deployment.js';
import { Shopper } from '../src/shopper.js';

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const OUTPUT = fileURLToPath(new URL('../test-results/', import.meta.url));
const available = await engineAvailable(
  'Chromium',
  () => access(CHROMIUM, constants.X_OK),
  'install it with apt-get install chromium (or set CHROMIUM_PATH)',
);

describe.skipIf(!available)('the shop page in a real browser', () => {
  let deployment: Deployment;
  let context: BrowserContext;
  let profile: string;

  beforeAll(async () => {
    deployment = await startOnFreePorts({ routing: 'sticky-cookie', instances: 3 });
    profile = await mkdtemp(join(tmpdir(), 'shop-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
  });

  afterAll(async () => {
    await context?.close();
    await deployment?.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('keeps the cart when the instance that served it is killed from the page', { timeout: 120_000 }, async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(deployment.url);
    await page.waitForSelector('body[data-ready="true"]');
    await expect.poll(() => page.textContent('[data-testid="store"]')).toMatch(/^sqlite:.*sessions\.db$/);
    expect(await page.textContent('[data-testid="routing"]')).toBe('sticky-cookie');

    const served: string[] = [];
    for (const sku of ['tea', 'mug']) {
      const [response] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith('/api/cart/items') && r.request().method() === 'POST'),
        page.click(`[data-testid="add-${sku}"]`),
      ]);
      expect(response.status()).toBe(200);
      served.push(response.headers()['x-served-by']!);
    }
    await expect.poll(() => page.locator('[data-testid="cart-items"] li').count()).toBe(2);
    // Sticky routing: both adds went to one instance; that is the one to kill.
    const victim = served[0]!;
    expect(served).toEqual([victim, victim]);

    await page.click(`tr[data-instance="${victim}"] button:has-text("Kill")`);
    await expect
      .poll(() => page.textContent(`tr[data-instance="${victim}"] td:nth-child(3)`), { timeout: 15_000 })
      .toBe('—');
    expect(deployment.instances.find((i) => i.id === victim)!.pid).toBeUndefined();

    const [cartAfter] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/cart') && r.request().method() === 'GET'),
      page.reload(),
    ]);
    expect(cartAfter.status()).toBe(200);
    expect(cartAfter.headers()['x-served-by']).not.toBe(victim);
    const items = page.locator('[data-testid="cart-items"] li');
    await expect
      .poll(() => items.evaluateAll((rows) => rows.map((row) => row.getAttribute('data-sku'))))
      .toEqual(['tea', 'mug']);
    await page.waitForSelector(`tr[data-instance="${victim}"] .health-down`, { timeout: 15_000 });
    await page.screenshot({ path: join(OUTPUT, 'shop-after-kill.png'), fullPage: true });

    // Restart it from the page: it comes back with a new pid and turns healthy again.
    await page.click(`tr[data-instance="${victim}"] button:has-text("Restart")`);
    await page.waitForSelector(`tr[data-instance="${victim}"] .health-up`, { timeout: 30_000 });
    expect(deployment.instances.find((i) => i.id === victim)!.pid).toBeTypeOf('number');
  });

  it('"Log out all my devices" on the page ends the session on another device too', { timeout: 120_000 }, async () => {
    const page = context.pages()[0] ?? (await context.newPage());
    await page.goto(deployment.url);
    await page.waitForSelector('body[data-ready="true"]');
    await page.fill('#user', 'hamilton');
    await page.click('#login button[type="submit"]');
    await expect.poll(() => page.textContent('[data-testid="user-name"]')).toBe('hamilton');
    // another device of the same user, through the same balancer
    const phone = new Shopper(deployment.url, 'hamilton');
    expect((await phone.login()).data.user).toBe('hamilton');

    const [response] = await Promise.all([
      page.waitForResponse((r) => r.url().endsWith('/api/logout-everywhere') && r.request().method() === 'POST'),
      page.click('[data-testid="logout-everywhere"]'),
    ]);
    expect(response.status()).toBe(200);
    await expect
      .poll(() => page.textContent('[data-testid="notice"]'))
      .toBe('Logged out on every device: 2 sessions ended.');
    expect(await page.isVisible('#login')).toBe(true);
    expect((await phone.request('GET', '/api/cart')).data).toEqual({ user: null, items: [] });
    await page.screenshot({ path: join(OUTPUT, 'shop-after-logout-everywhere.png'), fullPage: true });
  });
});
