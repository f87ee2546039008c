// What the Chromium tests share: the browser (Debian's chromium through playwright-core) and an
// http server for pages on 127.0.0.1 that import the package from /dist/.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const TYPES = { '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.html': 'text/html' };
export const PAGE = '<!doctype html><meta charset="utf-8"><title>rt</title><body>page</body>';

/** Launches headless Chromium (extra launch options merged in). */
export function launchChromium(options = {}) {
  assert.ok(existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM} (apt-get install chromium)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
    ...options,
  });
}

/** Serves dist/ under /dist/ and PAGE at any other path; `headers(req, url)` adds response
 * headers (e.g. a CSP). Resolves with { origin, close() }. */
export async function serveDist({ headers = () => ({}) } = {}) {
  const http = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const path = normalize(decodeURIComponent(url.pathname));
    const extra = headers(req, url);
    if (path.startsWith('/dist/')) {
      const file = join(root, path);
      if (!file.startsWith(join(root, 'dist')) || !existsSync(file)) return res.writeHead(404).end();
      res.writeHead(200, { ...extra, 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      return res.end(readFileSync(file));
    }
    res.writeHead(200, { ...extra, 'content-type': 'text/html' });  // no `no-store`: it bars the bfcache
    res.end(PAGE);
  });
  await new Promise((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${http.address().port}`,
    close: () => new Promise((resolve) => http.close(resolve)),
  };
}
