// End-to-end: the demo app, built with Vite, served by the demo server, driven in headless
// Chromium (Debian's chromium + playwright-core). Screenshots go to artifacts/.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';
import { startDemoServer } from '../../web/demo/server/demo-server.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const appDir = join(root, 'build/demo');
const artifacts = join(root, 'artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

let browser;
let server;
let port;

/** The newest modification time of the files under `dir` (0 when it is missing). */
function newest(dir) {
  if (!existsSync(dir)) return 0;
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) t = Math.max(t, statSync(join(e.parentPath ?? e.path, e.name)).mtimeMs);
  }
  return t;
}

/** Whether build/demo is missing or older than the demo's sources or the package it bundles. */
function demoIsStale() {
  const built = join(appDir, 'index.html');
  if (!existsSync(built)) return true;
  const at = statSync(built).mtimeMs;
  return [join(root, 'web/demo'), join(root, 'dist')].some((dir) => newest(dir) > at);
}

before(async () => {
  if (demoIsStale() || process.env.RT_REBUILD_DEMO === '1') {
    execFileSync('npx', ['vite', 'build', '--config', 'web/demo/vite.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
  }
  mkdirSync(artifacts, { recursive: true });
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
  });
  server = await startDemoServer({ staticDir: appDir, metricsIntervalMs: 300 });
  port = server.port;
});

after(async () => {
  await browser?.close();
  await server?.close();
});

async function openPage(path) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 800 } });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error' && !/ERR_CONNECTION_REFUSED|WebSocket connection|Failed to load resource/.test(m.text())) {
      problems.push(`console: ${m.text()}`);
    }
  });
  await page.goto(`http://127.0.0.1:${port}${path}`);
  return { page, context, problems };
}

const bubble = (page, text) => page.locator('[data-testid="chat-message"]', { hasText: text });

describe('demo app in headless Chromium', () => {
  test('chat: two users see messages and typing, survive a server restart, offline send delivered once', async () => {
    const ada = await openPage('/chat/e2e?name=ada');
    const bob = await openPage('/chat/e2e?name=bob');
    await ada.page.locator('.status-connected').waitFor();
    await bob.page.locator('.status-connected').waitFor();

    await ada.page.getByPlaceholder('Type a message...').fill('hello bob');
    await bob.page.getByText('ada is typing...').waitFor();
    await ada.page.getByRole('button', { name: 'Send' }).click();
    await bubble(bob.page, 'hello bob').waitFor();
    // The sender's copy: sending…, then delivered ✓ once the server acknowledged it.
    await bubble(ada.page, 'hello bob').getByText('delivered ✓').waitFor();
    await bob.page.getByPlaceholder('Type a message...').fill('hi ada');
    await bob.page.getByRole('button', { name: 'Send' }).click();
    await bubble(ada.page, 'hi ada').waitFor();
    await ada.page.getByText('bob joined').waitFor();
    // Edit: the other side sees the new text with the edited indicator.
    await bubble(ada.page, 'hello bob').getByRole('button', { name: 'Edit' }).click();
    await ada.page.getByLabel('Edit message').fill('hello bob!');
    await ada.page.getByLabel('Edit message').press('Enter');
    await bubble(bob.page, 'hello bob!').getByText('(edited)').waitFor();
    // An image message renders as an image.
    const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="160" height="90"><rect width="160" height="90" rx="8" fill="#38bdf8"/><circle cx="45" cy="45" r="22" fill="#0f172a"/></svg>';
    const pixel = `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
    await bob.page.getByPlaceholder('Type a message...').fill(pixel);
    await bob.page.getByRole('button', { name: 'Send' }).click();
    await ada.page.getByAltText('Shared image').waitFor();
    // A message the server refuses (over 2000 characters): failed, with a retry button.
    const tooLong = `too long ${'x'.repeat(2000)}`;
    await ada.page.getByPlaceholder('Type a message...').fill(tooLong);
    await ada.page.getByRole('button', { name: 'Send' }).click();
    const refused = ada.page.locator('[data-testid="pending-message"]', { hasText: 'too long' });
    await refused.getByText('failed').waitFor();
    await refused.getByRole('button', { name: 'Retry' }).waitFor();
    assert.equal(await bubble(bob.page, 'too long').count(), 0);
    await ada.page.screenshot({ path: join(artifacts, 'chat.png') });

    // Kill the server; both go offline.
    await server.close();
    await ada.page.locator('.status-disconnected').waitFor();
    await bob.page.locator('.status-disconnected').waitFor();
    // A message sent while the server is down shows as pending…
    await ada.page.getByPlaceholder('Type a message...').fill('sent while offline');
    await ada.page.getByRole('button', { name: 'Send' }).click();
    await ada.page.locator('[data-testid="pending-message"]', { hasText: 'sent while offline' }).waitFor();
    await ada.page.screenshot({ path: join(artifacts, 'chat-offline.png') });
    // …restart on the same port: both reconnect, and the message arrives exactly once.
    server = await startDemoServer({ staticDir: appDir, port, metricsIntervalMs: 300 });
    await ada.page.locator('.status-connected').waitFor({ timeout: 20_000 });
    await bob.page.locator('.status-connected').waitFor({ timeout: 20_000 });
    await bubble(bob.page, 'sent while offline').waitFor({ timeout: 20_000 });
    await ada.page.locator('[data-testid="pending-message"]', { hasText: 'sent while offline' }).waitFor({ state: 'detached' });
    await bubble(ada.page, 'sent while offline').getByText('delivered ✓').waitFor();
    assert.equal(await bubble(bob.page, 'sent while offline').count(), 1);
    assert.equal(await bubble(ada.page, 'sent while offline').count(), 1);
    assert.deepEqual([...ada.problems, ...bob.problems], []);
    await ada.context.close();
    await bob.context.close();
  });

  test('dashboard: metrics update, an alert appears, pause stops the updates', async () => {
    const { page, context, problems } = await openPage('/dashboard');
    await page.getByText('Live', { exact: true }).waitFor();
    const firstValue = page.locator('[data-testid="metric"] .metric-timestamp').first();
    await firstValue.waitFor();
    const before = await page.locator('[data-testid="metric"] .value').allTextContents();
    await page.waitForFunction(
      (prev) => [...document.querySelectorAll('[data-testid="metric"] .value')].map((e) => e.textContent).join() !== prev,
      before.join(),
    );
    await fetch(`http://127.0.0.1:${port}/api/alert?level=error&message=${encodeURIComponent('Checkout is failing')}`, { method: 'POST' });
    await page.locator('[data-testid="alert"]', { hasText: 'Checkout is failing' }).waitFor();
    await page.locator('.sparkline polyline').first().waitFor();
    await page.screenshot({ path: join(artifacts, 'dashboard.png') });

    await page.getByRole('button', { name: 'Pause Updates' }).click();
    await page.getByRole('button', { name: 'Resume Updates' }).waitFor();
    const frozen = await page.locator('[data-testid="metric"] .metric-timestamp').allTextContents();
    // The server keeps sending: wait until it has sent three more metric events.
    await server.untilTicks(3);
    assert.deepEqual(await page.locator('[data-testid="metric"] .metric-timestamp').allTextContents(), frozen);
    await page.getByRole('button', { name: 'Resume Updates' }).click();
    await page.waitForFunction(
      (prev) => [...document.querySelectorAll('[data-testid="metric"] .metric-timestamp')].map((e) => e.textContent).join() !== prev,
      frozen.join(),
    );
    assert.deepEqual(problems, []);
    await context.close();
  });

  test("runtime 'shared': two chat tabs of one user are one socket; the diagnostics page says so", async () => {
    const before = await (await fetch(`http://127.0.0.1:${port}/api/sockets`)).json();
    const first = await openPage('/chat/shared?name=cy');
    const second = await first.context.newPage();
    await second.goto(`http://127.0.0.1:${port}/chat/shared?name=cy`);
    await first.page.locator('.status-connected').waitFor();
    await second.locator('.status-connected').waitFor();
    await first.page.getByPlaceholder('Type a message...').fill('one socket, two tabs');
    await first.page.getByRole('button', { name: 'Send' }).click();
    await bubble(second, 'one socket, two tabs').waitFor();
    const diag = await first.context.newPage();
    await diag.goto(`http://127.0.0.1:${port}/diagnostics?name=cy`);
    await diag.locator('[data-testid="diag-tabs"]', { hasText: '3' }).waitFor();
    // The chat (one socket for the two chat tabs and the diagnostics tab) and the dashboard's
    // SSE stream: one more WebSocket at the server than before, whatever the other tests left.
    await diag.waitForFunction((n) => document.querySelector('[data-testid="diag-server-sockets"]')?.textContent === String(n),
      before.websockets + 1);
    await diag.screenshot({ path: join(artifacts, 'diagnostics-shared.png') });
    assert.deepEqual(first.problems, []);
    await first.context.close();
  });

  test('diagnostics: shows state, queue and RTT per connection', async () => {
    const { page, context, problems } = await openPage('/diagnostics?name=diag');
    await page.locator('[data-testid="diag-row"]', { hasText: 'open' }).first().waitFor();
    assert.equal(await page.locator('[data-testid="diag-row"]').count(), 2);
    // The dashboard stream's rate becomes non-zero once the counters have been sampled twice.
    await page.waitForFunction(() => {
      const row = [...document.querySelectorAll('[data-testid="diag-row"]')].find((r) => r.textContent.includes('dashboard'));
      return row && Number(row.children[6].textContent) > 0;
    });
    await page.screenshot({ path: join(artifacts, 'diagnostics.png') });
    assert.deepEqual(problems, []);
    await context.close();
  });
});
