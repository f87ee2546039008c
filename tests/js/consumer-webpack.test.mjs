// The webpack 5 consumer test (issue 10, first contact): what someone who runs
// `npm install realtime-wasm` in a React app bundled by webpack 5 gets. It packs this package,
// writes a small React app that uses useWebSocket and useServerSentEvents, installs the tarball
// with react, react-dom and webpack in a temp folder, bundles it with a webpack config that says
// nothing about realtime-wasm, and asserts that the build has no warning and no error (webpack
// used to warn "Critical dependency: the request of a dependency is an expression" about the
// runtime's Node-only dynamic import), and that the .wasm is emitted as an asset the glue finds.
//
// Needs: dist/ (built here only when missing), network access to the npm registry (or a warm npm
// cache). RT_KEEP_CONSUMER=1 keeps the temp app folder (it is always kept when the test fails).
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { npmInstall, packPackage, run } from './process-helpers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const kB = (n) => `${(n / 1000).toFixed(1)} kB`;

function appFiles(tarball) {
  const pkg = {
    name: 'webpack-consumer-app',
    private: true,
    version: '0.0.0',
    type: 'module',
    dependencies: {
      'realtime-wasm': `file:${tarball}`,
      react: '^19.0.0',
      'react-dom': '^19.0.0',
    },
    devDependencies: { webpack: '^5.0.0' },
  };
  // Plain ES modules and React.createElement: no loader, so that every warning is about the
  // package (or webpack's defaults), not about a transpiler's setup.
  const app = `import { StrictMode, createElement as h, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { useServerSentEvents, useWebSocket } from 'realtime-wasm/react';

function App() {
  const ws = useWebSocket({ url: \`ws://\${location.host}/realtime\` });
  const sse = useServerSentEvents({ url: '/api/stream' });
  const [greeting, setGreeting] = useState(null);
  useEffect(() => ws.subscribe('greeting', (p) => setGreeting(String(p?.text))), [ws.subscribe]);
  return h('main', null,
    h('p', { id: 'ws' }, ws.connectionState, ' ', greeting ?? '…'),
    h('p', { id: 'sse' }, sse.connectionState, ' ', JSON.stringify(sse.lastEvent?.data ?? null)));
}

createRoot(document.getElementById('root')).render(h(StrictMode, null, h(App)));
`;
  // The same hooks with <RealtimeProvider runtime="shared">: the connection lives in a
  // SharedWorker that webpack bundles from the package's \`new SharedWorker(new URL(…))\`.
  const shared = `import { StrictMode, createElement as h, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { RealtimeProvider, useWebSocket } from 'realtime-wasm/react';

function App() {
  const ws = useWebSocket({ url: \`ws://\${location.host}/realtime\` });
  const [greeting, setGreeting] = useState(null);
  useEffect(() => ws.subscribe('greeting', (p) => setGreeting(String(p?.text))), [ws.subscribe]);
  useEffect(() => {
    if (ws.isConnected) ws.sendMessage({ type: 'hello', payload: {} });
  }, [ws.isConnected, ws.sendMessage]);
  return h('main', null, h('p', { id: 'ws' }, ws.connectionState, ' ', greeting ?? '…'));
}

createRoot(document.getElementById('root')).render(
  h(StrictMode, null, h(RealtimeProvider, { runtime: 'shared' }, h(App))));
`;
  // The config a webpack user writes for such an app; nothing realtime-wasm-specific. Size hints
  // are off: they are about the whole app (React 19's react-dom alone is ~190 KiB of the 244 KiB
  // webpack recommends); the test reports the sizes instead (the package's size is issue 10 item 5).
  const build = `import webpack from 'webpack';

const compiler = webpack({
  mode: 'production',
  context: process.cwd(),
  entry: { main: './src/index.js', shared: './src/shared.js' },
  output: { path: new URL('./dist/', import.meta.url).pathname, clean: true },
  performance: { hints: false },
});
compiler.run((err, stats) => {
  if (err) {
    console.error(err);
    process.exit(2);
  }
  const json = stats.toJson({ all: false, errors: true, warnings: true, assets: true });
  compiler.close(() => {
    console.log(JSON.stringify({
      errors: json.errors.map((e) => e.message),
      warnings: json.warnings.map((w) => \`\${w.moduleName ?? ''}: \${w.message}\`),
      assets: json.assets.map((a) => ({ name: a.name, size: a.size })),
    }));
  });
});
`;
  return {
    'package.json': JSON.stringify(pkg, null, 2) + '\n',
    'src/index.js': app,
    'src/shared.js': shared,
    'build.mjs': build,
  };
}

test('a React app bundled by webpack 5 builds the packed tarball with no warning', {
  timeout: 420_000,
}, async (t) => {
  if (!existsSync(join(root, 'dist/index.js'))) {
    t.diagnostic('dist/ is missing: building it (scripts/build.sh)');
    await run('bash', ['scripts/build.sh'], { cwd: root, timeoutMs: 600_000, what: 'build' });
  }
  const work = await mkdtemp(join(tmpdir(), 'rt-webpack-'));
  let ok = false;
  t.after(async () => {
    if (ok && process.env.RT_KEEP_CONSUMER !== '1') await rm(work, { recursive: true, force: true });
    else t.diagnostic(`the app is kept in ${work}`);
  });
  const started = Date.now();
  const lap = (what) => t.diagnostic(`${what}: ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const packDir = join(work, 'pack');
  await mkdir(packDir);
  const { tarball, files } = await packPackage(root, packDir);
  assert.ok(files.includes('dist/wasm/realtime_wasm.wasm'), `the tarball lacks the .wasm: ${files.join(', ')}`);
  lap('npm pack');

  const app = join(work, 'app');
  for (const [name, text] of Object.entries(appFiles(tarball))) {
    const path = join(app, name);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, text);
  }
  await npmInstall(app, { timeoutMs: 180_000, what: 'npm install in the webpack app' });
  lap('npm install');

  const out = await run(process.execPath, ['build.mjs'], {
    cwd: app, timeoutMs: 180_000, what: 'webpack build',
  });
  lap('webpack build');
  const result = JSON.parse(out.trim().split('\n').at(-1));
  assert.deepEqual(result.errors, [], 'webpack errors');
  assert.deepEqual(result.warnings, [], 'webpack warnings');

  // The .wasm is emitted as an asset, byte for byte the package's, and the bundle refers to it.
  const emitted = await readdir(join(app, 'dist'));
  const wasmName = emitted.find((f) => f.endsWith('.wasm'));
  assert.ok(wasmName, `no .wasm among the emitted files: ${emitted.join(', ')}`);
  const wasm = await readFile(join(app, 'dist', wasmName));
  assert.ok(wasm.equals(await readFile(join(root, 'dist/wasm/realtime_wasm.wasm'))), 'the package\'s .wasm, unchanged');
  const js = emitted.filter((f) => f.endsWith('.js'));
  const bundles = await Promise.all(js.map((f) => readFile(join(app, 'dist', f), 'utf8')));
  assert.ok(bundles.some((b) => b.includes(wasmName)), `no bundle refers to ${wasmName}`);
  const jsBytes = bundles.reduce((n, b) => n + gzipSync(b, { level: 9 }).length, 0);
  const jsRaw = bundles.reduce((n, b) => n + Buffer.byteLength(b), 0);
  t.diagnostic(`emitted ${emitted.join(', ')}; JS (React included) ${kB(jsRaw)} minified, ` +
    `gzip -9: JS ${kB(jsBytes)}, wasm ${kB(gzipSync(wasm, { level: 9 }).length)}`);

  // runtime 'shared': webpack emitted the SharedWorker as a chunk of its own, and it finds the
  // .wasm; two tabs of the built app, in Chromium, share one socket.
  const workerChunks = js.filter((f, i) => bundles[i].includes(wasmName) && !bundles[i].includes('createRoot'));
  assert.ok(workerChunks.length > 0, `no worker chunk that refers to ${wasmName} among ${js.join(', ')}`);
  const workerGzip = workerChunks.reduce((n, f) => n + gzipSync(bundles[js.indexOf(f)], { level: 9 }).length, 0);
  t.diagnostic(`runtime 'worker' | 'shared' chunks referring to the .wasm: ${workerChunks.join(', ')} (${kB(workerGzip)} gzip -9)`);
  const sockets = await twoTabsOfSharedApp(join(app, 'dist'));
  assert.deepEqual(sockets, { open: 1, greeted: [true, true] }, "two tabs of the webpack 'shared' app, one socket");
  lap("the 'shared' app in Chromium");
  ok = true;
});

/** Serves `dir` (plus shared.html and a ws server on /realtime that greets on every hello) and
 * opens shared.html in two tabs of one Chromium context: how many sockets, and whether each tab
 * rendered the greeting. */
async function twoTabsOfSharedApp(dir) {
  const { chromium } = await import('playwright-core');
  const { createServer } = await import('node:http');
  const { WebSocketServer } = await import('ws');
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, 'http://x').pathname;
    if (path === '/shared.html') {
      res.writeHead(200, { 'content-type': 'text/html' });
      return res.end('<!doctype html><div id="root"></div><script src="/shared.js"></script>');
    }
    try {
      const body = await readFile(join(dir, path.replace(/^\/+/, '')));
      const type = path.endsWith('.wasm') ? 'application/wasm' : 'text/javascript';
      res.writeHead(200, { 'content-type': type }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  const wss = new WebSocketServer({ server, path: '/realtime' });
  wss.on('connection', (socket) => socket.on('message', () =>
    socket.send(JSON.stringify({ type: 'greeting', payload: { text: 'hi' } }))));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
      '--disable-component-update', '--no-first-run'],
  });
  try {
    const context = await browser.newContext();
    const greeted = [];
    for (let i = 0; i < 2; i++) {
      const page = await context.newPage();
      await page.goto(`${origin}/shared.html`);
      greeted.push(await page.locator('#ws', { hasText: 'connected hi' }).waitFor({ timeout: 20_000 })
        .then(() => true, () => false));
    }
    return { open: wss.clients.size, greeted };
  } finally {
    await browser.close();
    for (const c of wss.clients) c.terminate();
    await new Promise((resolve) => wss.close(resolve));
    await new Promise((resolve) => server.close(resolve));
  }
}
