// The consumer test (issue 4): what someone who runs `npm install realtime-wasm` in a fresh
// Vite + React + TypeScript app gets. It packs this package, writes such an app in a temp folder,
// installs the tarball with react, react-dom and vite, type-checks and builds it with a vite.config
// that says nothing about realtime-wasm, serves the build under a strict CSP (no eval, no inline
// script) with a ws server and an SSE endpoint on the same port, and opens it in headless
// Chromium: the page (useWebSocket + useServerSentEvents) must render a message pushed by that
// server, an echo of what it sent and the SSE event, with no console error and no CSP violation. Then the same app, unchanged, under the vite dev server (dependency
// pre-bundling moves the glue: the .wasm must still be found). It also reports the gzip sizes of
// what the package adds to the app, and holds it to a budget (issue 10): the .wasm plus the app's
// JS minus the JS of the same app built without realtime-wasm (React only), all gzip -9 — so the
// glue and the package's JS count as they are bundled, after tree-shaking and minification. A
// third build puts the glue and the package's JS in chunks of their own, for the breakdown.
//
// Needs: dist/ (built here only when missing), network access to the npm registry (or a warm npm
// cache), Chromium (/usr/bin/chromium, or CHROMIUM_PATH) and playwright-core. Anything missing is
// a failure that says what is missing, never a skip. RT_KEEP_CONSUMER=1 keeps the temp app folder
// (it is always kept when the test fails).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { test } from 'node:test';

import { WebSocketServer } from 'ws';
import { appNpmEnv, run } from './process-helpers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CSP = "script-src 'self' 'wasm-unsafe-eval'";
// Bytes gzip -9 that realtime-wasm adds to the app (wasm + glue + the package's JS). Issue 10's
// target is 50 kB. The build flags and the native changes took the first version from 81.0 to
// 53.2 kB (docs/size.md); the robustness and delivery features that landed with them (Connector,
// lifecycle, acknowledged sends, channels: wasm +12.8 kB, JS +1.4 kB) brought it to 67.4 kB; the
// event bus and the throttler in TypeScript (wasm -4.9 kB) to 62.5 kB, then 62.4 kB after the
// last native clean-up (the demo's store changes +0.2 kB of JS). Then, together: the one-owner
// items of issue 10 (the credentials step and JWT decoding in C++, only the per-frame path at -O3,
// no TS default tables or outbox, names passed with the events), no hash table, tree or deque in
// the module, the native objects bound as embind functions instead of classes (glue -2.3 kB), and
// the runtime option's page-side part (+0.4 kB; the worker code loads only for 'worker' |
// 'shared'): 58.0 kB (58,027 bytes: wasm 41.8 + JS 16.3). The budget holds that, and drops to
// ISSUE_10_TARGET with the steps listed in docs/size.md. It only ever goes down.
const GZIP_BUDGET = 57_100;
const ISSUE_10_TARGET = 50_000;
const GREETING = 'hello from the local server';
const SSE_GREETING = 'hello over server-sent events';

/** Rejects with `message` if `promise` has not settled within `ms`. */
function within(ms, message, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (no result within ${ms / 1000} s)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const kB = (n) => `${(n / 1000).toFixed(1)} kB`;  // 1000 bytes, as vite and npm count

// ---- the app the test writes: a minimal Vite + React + TypeScript project ----

function appFiles({ tarball, useHooks }) {
  const pkg = {
    name: 'consumer-app',
    private: true,
    version: '0.0.0',
    type: 'module',
    scripts: { build: 'tsc --noEmit && vite build' },
    dependencies: {
      'realtime-wasm': `file:${tarball}`,
      react: '^19.0.0',
      'react-dom': '^19.0.0',
    },
    devDependencies: {
      '@types/react': '^19.0.0',
      '@types/react-dom': '^19.0.0',
      '@vitejs/plugin-react': '^6.0.0',
      typescript: '^5.9.0',
      vite: '^8.0.0',
    },
  };
  const tsconfig = {
    compilerOptions: {
      target: 'ES2022',
      lib: ['ES2022', 'DOM', 'DOM.Iterable'],
      module: 'ESNext',
      moduleResolution: 'bundler',
      jsx: 'react-jsx',
      strict: true,
      noEmit: true,
      skipLibCheck: false,
      isolatedModules: true,
      types: [],
    },
    include: ['src'],
  };
  // Nothing realtime-wasm-specific: this is the config `npm create vite` writes for React.
  const viteConfig = `import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
});
`;
  // The same app without realtime-wasm (React only), built to dist-react-only/: what the app
  // would ship without the package. And the app itself with realtime-wasm's glue and JS in
  // chunks of their own, built to dist-split/: the breakdown. Only the size step uses them.
  const reactOnlyConfig = `import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist-react-only', rollupOptions: { input: 'react-only.html' } },
});
`;
  const splitConfig = `import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: {
    outDir: 'dist-split',
    rollupOptions: {
      output: {
        manualChunks(id) {
          if (!id.includes('/node_modules/realtime-wasm/')) return undefined;
          return id.includes('/dist/wasm/') ? 'realtime-glue' : 'realtime-js';
        },
      },
    },
  },
});
`;
  const html = `<!doctype html>
<html lang="en">
  <head>
    <meta charset="UTF-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1.0" />
    <link rel="icon" type="image/svg+xml" href="/icon.svg" />
    <title>realtime-wasm consumer</title>
  </head>
  <body>
    <div id="root"></div>
    <script type="module" src="/src/main.tsx"></script>
  </body>
</html>
`;
  const icon = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 16 16">' +
    '<circle cx="8" cy="8" r="7" fill="#2a6"/></svg>\n';
  const render = `
  return (
    <main style={{ fontFamily: 'sans-serif', padding: 24 }}>
      <h1>realtime-wasm in a Vite + React app</h1>
      <p>
        state: <b id="state">{state}</b>
      </p>
      <p>
        from the server: <b id="greeting">{greeting ?? '…'}</b>
      </p>
      <p>
        echo of what this page sent: <b id="echo">{echo ?? '…'}</b>
      </p>
      <p>
        over SSE: <b id="sse">{sse ?? '…'}</b>
      </p>
    </main>
  );`;
  const withHooks = `import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useServerSentEvents, useWebSocket } from 'realtime-wasm/react';

// The server's endpoints: the same host by default, or ?ws=…&sse=… (the dev-server check).
const params = new URLSearchParams(location.search);
const url = params.get('ws') ??
  \`\${location.protocol === 'https:' ? 'wss' : 'ws'}://\${location.host}/realtime\`;
const sseUrl = params.get('sse') ?? '/events';
const text = (p: unknown) => String((p as { text?: unknown } | null)?.text);

function App() {
  const { subscribe, sendMessage, connectionState, isConnected } = useWebSocket({ url });
  const feed = useServerSentEvents({ url: sseUrl });
  const [greeting, setGreeting] = useState<string | null>(null);
  const [echo, setEcho] = useState<string | null>(null);
  const [sse, setSse] = useState<string | null>(null);
  const state: string = connectionState;
  useEffect(() => subscribe('greeting', (p) => setGreeting(text(p))), [subscribe]);
  useEffect(() => subscribe('echo', (p) => setEcho(text(p))), [subscribe]);
  useEffect(() => feed.subscribe('greeting', (e) => setSse(text(e.data))), [feed.subscribe]);
  useEffect(() => {
    if (isConnected) sendMessage({ type: 'hello', payload: { text: 'hi from the page' } });
  }, [isConnected, sendMessage]);
${render}
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`;
  const withManager = `import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { WebSocketManager } from 'realtime-wasm';

// The server's ws endpoint: the same host by default, or ?ws=… (the dev-server check uses that).
const url = new URLSearchParams(location.search).get('ws') ??
  \`\${location.protocol === 'https:' ? 'wss' : 'ws'}://\${location.host}/realtime\`;
const text = (p: unknown) => String((p as { text?: unknown } | null)?.text);

function App() {
  const [state, setState] = useState<string>('idle');
  const [greeting, setGreeting] = useState<string | null>(null);
  const [echo, setEcho] = useState<string | null>(null);
  const sse = null;
  useEffect(() => {
    const manager = new WebSocketManager({ url });
    const offs = [
      manager.on('state', ({ newState }) => setState(newState)),
      manager.on('error', (e) => console.error('realtime-wasm error', e.code, e.message)),
      manager.subscribe('greeting', (p) => setGreeting(text(p))),
      manager.subscribe('echo', (p) => setEcho(text(p))),
    ];
    manager
      .connect()
      .then(() => manager.send({ type: 'hello', payload: { text: 'hi from the page' } }))
      .catch((e: { code?: string }) => {
        if (e.code !== 'disposed') setState(\`failed: \${e.code}\`);
      });
    return () => {
      for (const off of offs) off();
      manager.dispose();
    };
  }, []);
${render}
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`;
  // The same app with <RealtimeProvider runtime="shared">: the hooks' connections live in a
  // SharedWorker, one socket for every tab of the app (the worker script and its .wasm resolved
  // by Vite unaided).
  const shared = withHooks
    .replace('import { useServerSentEvents, useWebSocket }', 'import { RealtimeProvider, useServerSentEvents, useWebSocket }')
    .replace('    <App />', '    <RealtimeProvider runtime="shared">\n      <App />\n    </RealtimeProvider>');
  assert.ok(shared.includes('RealtimeProvider runtime="shared"') && shared.includes('import { RealtimeProvider,'));
  const sharedConfig = `import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

export default defineConfig({
  plugins: [react()],
  build: { outDir: 'dist-shared', rollupOptions: { input: 'shared.html' } },
});
`;
  const reactOnly = `import { StrictMode, useState } from 'react';
import { createRoot } from 'react-dom/client';

// The app's page without realtime-wasm: what React and the page cost on their own.
function App() {
  const [state] = useState<string>('idle');
  const [greeting] = useState<string | null>(null);
  const [echo] = useState<string | null>(null);
  const [sse] = useState<string | null>(null);
${render}
}

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
`;
  return {
    'package.json': JSON.stringify(pkg, null, 2) + '\n',
    'tsconfig.json': JSON.stringify(tsconfig, null, 2) + '\n',
    'vite.config.ts': viteConfig,
    'index.html': html,
    'src/main.tsx': useHooks ? withHooks : withManager,
    'react-only.html': html.replace('/src/main.tsx', '/src/react-only.tsx'),
    'src/react-only.tsx': reactOnly,
    'vite.react-only.config.ts': reactOnlyConfig,
    'vite.split.config.ts': splitConfig,
    'shared.html': html.replace('/src/main.tsx', '/src/shared.tsx'),
    'src/shared.tsx': shared,
    'vite.shared.config.ts': sharedConfig,
    'public/icon.svg': icon,
  };
}

// ---- serving the built app: static files + a ws server on the same port ----

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

// greetOnHello: a tab that joins a shared socket later asks for the greeting with its hello.
async function serve(dir, { greetOnHello = false } = {}) {
  const requests = [];
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = normalize(join(dir, path === '/' ? 'index.html' : path));
    requests.push(path);
    if (path === '/events') {  // the SSE endpoint: one event, then the stream stays open
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store',
        'Access-Control-Allow-Origin': '*' });  // the dev-server page is another origin
      res.write(`event: greeting\ndata: ${JSON.stringify({ text: SSE_GREETING })}\n\n`);
      return;
    }
    if (!file.startsWith(dir + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      const type = MIME[extname(file)] ?? 'application/octet-stream';
      const headers = { 'Content-Type': type, 'Cache-Control': 'no-store' };
      if (type.startsWith('text/html')) headers['Content-Security-Policy'] = CSP;
      res.writeHead(200, headers).end(body);
    } catch {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
    }
  });
  const wss = new WebSocketServer({ server, path: '/realtime' });
  const received = [];
  wss.on('connection', (socket) => {
    const send = (type, payload) => socket.send(JSON.stringify({ type, payload }));
    send('greeting', { text: GREETING });
    socket.on('message', (data) => {
      const msg = JSON.parse(String(data));
      received.push(msg);
      if (msg.type === 'hello' && greetOnHello) send('greeting', { text: GREETING });
      if (msg.type === 'hello') send('echo', { text: `echo: ${msg.payload?.text}` });
    });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    requests,
    received,
    sockets: () => wss.clients.size,
    async close() {
      for (const c of wss.clients) c.terminate();
      await new Promise((resolve) => wss.close(resolve));
      await new Promise((resolve) => {
        server.close(resolve);
        server.closeAllConnections();  // Chromium's keep-alive connections would hold it open
      });
    },
  };
}

/** Opens the app in `page` and waits for the pushed message and the echo (and, with `sse`, the
 * event from the SSE endpoint) to be rendered.
 * Returns the page's problems (console errors and warnings, page errors, failed requests) and the
 * responses it got. On failure, saves artifacts/consumer-failed.png and says what the page shows. */
async function openApp(page, url, server, what, { sse = false } = {}) {
  const problems = [];
  const responses = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') {
      problems.push(`console.${m.type()}: ${m.text()} (${m.location().url || 'no url'})`);
    }
  });
  page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => problems.push(`request failed: ${r.url()} ${r.failure()?.errorText}`));
  page.on('response', (r) => responses.push(
    { url: r.url(), status: r.status(), type: r.headers()['content-type'] }));
  const response = await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
  assert.equal(response.status(), 200, `${what}: GET ${url}`);
  try {
    await page.locator('#greeting', { hasText: GREETING }).waitFor({ timeout: 20_000 });
    await page.locator('#echo', { hasText: 'echo: hi from the page' }).waitFor({ timeout: 10_000 });
    if (sse) await page.locator('#sse', { hasText: SSE_GREETING }).waitFor({ timeout: 10_000 });
  } catch (e) {
    const text = await page.locator('body').innerText().catch(() => '(unreadable)');
    await page.screenshot({ path: join(root, 'artifacts/consumer-failed.png') }).catch(() => {});
    assert.fail(`${what} did not show the server's message and the echo: ${e.message}\n` +
      `page text: ${text}\nproblems: ${problems.join('\n') || 'none'}\n` +
      `requests to the test server: ${server.requests.join(' ')}`);
  }
  return { response, problems, responses };
}

// ---- the test ----

const needsBuild = !existsSync(join(root, 'dist/index.js')) ||
  !existsSync(join(root, 'dist/wasm/realtime_wasm.wasm'));

test('a fresh Vite + React + TypeScript app installs, builds and runs the packed tarball',
  { timeout: (needsBuild ? 600_000 : 0) + 180_000 }, async (t) => {
    const started = Date.now();
    const lap = (what) => t.diagnostic(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);

    // Preconditions, checked first so that a missing one fails at once with the reason.
    assert.ok(existsSync(CHROMIUM),
      `Chromium is missing at ${CHROMIUM}: run scripts/setup.sh (apt-get install chromium) ` +
      'or set CHROMIUM_PATH to a Chromium binary');
    let chromium;
    try {
      ({ chromium } = await import('playwright-core'));
    } catch (e) {
      assert.fail(`playwright-core is not installed (npm ci installs it): ${e.message}`);
    }

    // 1. The package: dist/ is built by scripts/test.sh before the JS tests; build only if missing.
    if (needsBuild) {
      t.diagnostic('dist/ is missing: running scripts/build.sh');
      await run('bash', ['scripts/build.sh'], { cwd: root, timeoutMs: 600_000, what: 'build' });
      lap('build');
    }
    const work = await mkdtemp(join(tmpdir(), 'rt-consumer-'));
    await mkdir(join(root, 'artifacts'), { recursive: true });
    await rm(join(root, 'artifacts/consumer-failed.png'), { force: true });
    let server;
    let context;
    let dev;
    let passed = false;
    t.after(async () => {
      dev?.kill();
      await context?.close();  // before its profile folder goes
      await server?.close();
      if (passed && !process.env.RT_KEEP_CONSUMER) await rm(work, { recursive: true, force: true });
      else console.error(`consumer test: the app and its build are kept in ${work} for a look`);
    });
    const packDir = join(work, 'pack');
    await mkdir(packDir);
    const packed = JSON.parse(await run(
      'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir],
      { cwd: root, timeoutMs: 60_000, what: 'npm pack' }));
    const files = packed[0].files.map((f) => f.path);
    for (const f of ['package.json', 'dist/index.js', 'dist/index.d.ts',
      'dist/wasm/realtime_wasm.mjs', 'dist/wasm/realtime_wasm.wasm']) {
      assert.ok(files.includes(f), `the tarball lacks ${f}; it has ${files.join(', ')}`);
    }
    const useHooks = files.includes('dist/react/index.js');
    const tarball = join(packDir, packed[0].filename);
    lap(`npm pack (${kB(packed[0].size)}, ${files.length} files)`);

    // 2. The app, written as a person would, and installed from the registry (or npm's cache).
    const app = join(work, 'app');
    for (const [name, text] of Object.entries(appFiles({ tarball, useHooks }))) {
      await mkdir(join(app, name, '..'), { recursive: true });
      await writeFile(join(app, name), text);
    }
    t.diagnostic(`app in ${app}, using ${useHooks ? "useWebSocket from 'realtime-wasm/react'"
      : "WebSocketManager from 'realtime-wasm' (no realtime-wasm/react in the tarball yet)"}`);
    const env = appNpmEnv();
    // npm's own retries would outlast the timeout on an unreachable registry: fewer and shorter,
    // so that npm's error (ECONNREFUSED, ENOTFOUND, …) is what the failure shows.
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error',
      '--fetch-retries=1', '--fetch-retry-mintimeout=1000', '--fetch-retry-maxtimeout=5000',
      '--fetch-timeout=30000'],
      { cwd: app, env, timeoutMs: 120_000,
        what: 'npm install in the app (needs the npm registry or a warm npm cache)' });
    lap('npm install');

    // 3. Type-check (the package's .d.ts as a consumer sees them), then `vite build`.
    const bin = (name) => join(app, 'node_modules/.bin', name);
    await run(bin('tsc'), ['--noEmit', '-p', '.'], { cwd: app, env, timeoutMs: 60_000,
      what: 'tsc on the app (types of realtime-wasm as a consumer sees them)' });
    lap('tsc');
    const buildLog = await run(bin('vite'), ['build'], { cwd: app, env, timeoutMs: 90_000,
      what: 'vite build with no extra configuration' });
    lap('vite build');
    const out = join(app, 'dist');
    const assets = await readdir(join(out, 'assets'));
    const wasmAssets = assets.filter((f) => f.endsWith('.wasm'));
    assert.equal(wasmAssets.length, 1,
      `vite build should emit the .wasm as an asset; dist/assets has ${assets.join(', ')}\n${buildLog}`);
    const indexHtml = await readFile(join(out, 'index.html'), 'utf8');
    assert.doesNotMatch(indexHtml, /<script(?![^>]*\bsrc=)[^>]*>/,
      'the built index.html must have no inline script (it could not run under the CSP)');

    // 4. Sizes, gzip -9: what the package adds to the app (issue 10), and the breakdown.
    const pkgWasm = await readFile(join(root, 'dist/wasm/realtime_wasm.wasm'));
    const pkgGlue = await readFile(join(root, 'dist/wasm/realtime_wasm.mjs'));
    const appWasm = await readFile(join(out, 'assets', wasmAssets[0]));
    assert.ok(appWasm.equals(pkgWasm), 'the app ships the package\'s .wasm unchanged');
    const jsOf = async (dir, match = () => true) => {
      let raw = 0;
      let gzip = 0;
      for (const f of (await readdir(join(dir, 'assets'))).filter((f) => f.endsWith('.js') && match(f))) {
        const bytes = await readFile(join(dir, 'assets', f));
        raw += bytes.length;
        gzip += gz(bytes);
      }
      return { raw, gzip };
    };
    // The files of runtime 'worker' | 'shared' (the worker scripts, and the tab side, which the
    // package loads by URL: an asset) are loaded only when a manager asks for such a runtime: a
    // page-mode app never fetches them (checked in Chromium below), so they are not part of what
    // it adds.
    const lazyChunk = (f) => /^(remote|worker-entry|shared-entry)-/.test(f);
    const appJs = await jsOf(out, (f) => !lazyChunk(f));
    const lazyJs = await jsOf(out, lazyChunk);
    const workerJs = await jsOf(out, (f) => f.startsWith('shared-entry-'));
    assert.ok(workerJs.raw > 0, `vite build emits the shared worker as a chunk: ${assets.join(', ')}`);
    for (const [config, what] of [['vite.react-only.config.ts', 'the React-only build'],
      ['vite.split.config.ts', 'the build with realtime-wasm in chunks of its own']]) {
      await run(bin('vite'), ['build', '-c', config], { cwd: app, env, timeoutMs: 90_000, what });
    }
    const reactOnlyJs = await jsOf(join(app, 'dist-react-only'));
    const split = join(app, 'dist-split');
    const glueChunk = await jsOf(split, (f) => f.startsWith('realtime-glue'));
    const pkgJsChunk = await jsOf(split, (f) => f.startsWith('realtime-js'));
    assert.ok(glueChunk.raw > 0 && pkgJsChunk.raw > 0,
      `the split build has no realtime-glue / realtime-js chunk: ${await readdir(join(split, 'assets'))}`);
    const sizes = {
      wasm: gz(pkgWasm),
      addedJs: appJs.gzip - reactOnlyJs.gzip,  // glue + the package's JS, as bundled
    };
    const total = sizes.wasm + sizes.addedJs;
    lap('sizes');
    t.diagnostic(`realtime-wasm adds ${kB(total)} (${total} bytes) gzip -9 to the app (budget ${kB(GZIP_BUDGET)}, ` +
      `issue 10's target ${kB(ISSUE_10_TARGET)}): ` +
      `wasm ${kB(sizes.wasm)} (raw ${kB(pkgWasm.length)}) + JS ${kB(sizes.addedJs)} ` +
      `(raw ${kB(appJs.raw - reactOnlyJs.raw)}; app JS ${kB(appJs.gzip)} - React-only ` +
      `${kB(reactOnlyJs.gzip)}). Breakdown, each chunk gzipped on its own: glue ` +
      `${kB(glueChunk.gzip)} (raw ${kB(glueChunk.raw)}; the package's realtime_wasm.mjs ` +
      `${kB(gz(pkgGlue))}, raw ${kB(pkgGlue.length)}), the package's JS ${kB(pkgJsChunk.gzip)} ` +
      `(raw ${kB(pkgJsChunk.raw)}). Loaded only by runtime 'worker' | 'shared': ${kB(lazyJs.gzip)} ` +
      `(raw ${kB(lazyJs.raw)}), of which the SharedWorker script ${kB(workerJs.gzip)} ` +
      `(raw ${kB(workerJs.raw)}, the glue included; its .wasm is the same asset)`);
    assert.ok(total <= GZIP_BUDGET,
      `realtime-wasm adds ${kB(total)} gzip to the app (wasm ${kB(sizes.wasm)} + glue and JS ` +
      `${kB(sizes.addedJs)}), over the ${kB(GZIP_BUDGET)} budget`);

    // 5. Serve it under the strict CSP and open it in Chromium.
    server = await serve(out);
    const profile = join(work, 'chromium-profile');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
        '--disable-component-update', '--no-first-run', '--disable-quic', '--disable-sync'],
      viewport: { width: 900, height: 420 },
      timeout: 30_000,
    }).catch((e) => assert.fail(`Chromium (${CHROMIUM}) did not start: ${e.message}`));
    // Records every CSP violation in the page, whether or not Chromium also logs it.
    await context.addInitScript(() => {
      window.__cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => {
        window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`);
      });
    });
    const page = context.pages()[0] ?? await context.newPage();
    const built = await openApp(page, `${server.origin}/`, server, 'the built app', { sse: useHooks });
    assert.equal(built.response.headers()['content-security-policy'], CSP);
    assert.equal(await page.locator('#state').innerText(), useHooks ? 'connected' : 'open');
    assert.ok(server.requests.some((p) => p.endsWith('.wasm')), 'the page fetched the .wasm');
    assert.deepEqual(server.requests.filter((p) => lazyChunk(p.split('/').pop())), [],
      "a page-mode app fetches none of the 'worker' | 'shared' chunks");
    assert.deepEqual(server.received.filter((m) => m.type === 'hello').map((m) => m.payload),
      [{ text: 'hi from the page' }]);
    await page.screenshot({ path: join(root, 'artifacts/consumer.png') });
    assert.deepEqual(built.problems, [], 'console errors, warnings or failed requests on the page');
    assert.deepEqual(await page.evaluate(() => window.__cspViolations), [],
      'CSP violations on the page');
    // The control: the CSP is in force and the listener sees violations, so "none" above means
    // none. (page.evaluate itself is exempt from the page's CSP, so the probe is a script element.)
    await page.addScriptTag({ content: 'window.__inlineRan = true;' }).catch(() => {});
    assert.equal(await page.evaluate(() => window.__inlineRan), undefined,
      'an inline script must not run under the CSP');
    await page.waitForFunction(() => window.__cspViolations.length > 0, null, { timeout: 5_000 })
      .catch(() => assert.fail('the blocked inline script raised no securitypolicyviolation event'));
    assert.match((await page.evaluate(() => window.__cspViolations))[0], /^script-src/);
    lap('the built app, served under the CSP, shows the pushed message, the echo and the SSE event');

    // 6. The same app with <RealtimeProvider runtime="shared">, built with a config that says
    // nothing about realtime-wasm or workers, in two tabs: one socket, both tabs served.
    await run(bin('vite'), ['build', '-c', 'vite.shared.config.ts'], { cwd: app, env, timeoutMs: 90_000,
      what: "vite build of the runtime 'shared' app" });
    const sharedAssets = await readdir(join(app, 'dist-shared', 'assets'));
    assert.ok(sharedAssets.some((f) => f.startsWith('shared-entry-')) && sharedAssets.some((f) => f.endsWith('.wasm')),
      `the 'shared' build has the worker script and the .wasm: ${sharedAssets.join(', ')}`);
    const sharedServer = await serve(join(app, 'dist-shared'), { greetOnHello: true });
    t.after(() => sharedServer.close());
    const tabA = await context.newPage();
    const tabB = await context.newPage();
    const a = await openApp(tabA, `${sharedServer.origin}/shared.html`, sharedServer, "the 'shared' app, tab A");
    await openApp(tabB, `${sharedServer.origin}/shared.html`, sharedServer, "the 'shared' app, tab B");
    assert.equal(sharedServer.sockets(), 1, 'two tabs, one socket');
    assert.ok(sharedServer.requests.some((p) => /\/assets\/shared-entry-.*\.js$/.test(p)), 'the worker script was fetched');
    assert.ok(sharedServer.requests.some((p) => p.endsWith('.wasm')), 'the worker fetched the .wasm');
    assert.deepEqual(a.problems, [], "console errors, warnings or failed requests ('shared' app)");
    assert.deepEqual(await tabA.evaluate(() => window.__cspViolations), [], "CSP violations ('shared' app)");
    await tabA.close();
    await tabB.close();
    lap("the 'shared' app: two tabs on one socket, through a SharedWorker Vite bundled");

    // 7. `vite` (the dev server: dependency pre-bundling, no CSP) with the same app, unchanged.
    dev = spawn(bin('vite'), ['--host', '127.0.0.1', '--port', '0'],
      { cwd: app, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const devOrigin = await within(30_000, 'the vite dev server did not print its URL',
      new Promise((resolve, reject) => {
        let log = '';
        const onData = (d) => {
          log += String(d).replace(/\x1b\[[0-9;]*m/g, '');
          const m = /Local:\s+(http:\/\/127\.0\.0\.1:\d+)\//.exec(log);
          if (m) resolve(m[1]);
        };
        dev.stdout.on('data', onData);
        dev.stderr.on('data', onData);
        dev.once('exit', (code) => reject(new Error(`vite dev server exited (${code}):\n${log}`)));
      }));
    const devPage = await context.newPage();
    const wsUrl = `${server.origin.replace('http:', 'ws:')}/realtime`;
    const devUrl = `${devOrigin}/?ws=${encodeURIComponent(wsUrl)}` +
      `&sse=${encodeURIComponent(`${server.origin}/events`)}`;
    const devRun = await openApp(devPage, devUrl, server, 'the app under the vite dev server',
      { sse: useHooks });
    const devWasm = devRun.responses.filter((r) => r.url.endsWith('.wasm'));
    assert.equal(devWasm.length, 1, `the dev page fetched the .wasm once: ${JSON.stringify(devWasm)}`);
    assert.deepEqual([devWasm[0].status, devWasm[0].type], [200, 'application/wasm'], devWasm[0].url);
    assert.deepEqual(devRun.problems, [], 'console errors, warnings or failed requests (dev server)');
    lap('the app under the vite dev server shows the pushed message, the echo and the SSE event');

    passed = true;
    lap('done');
  });
