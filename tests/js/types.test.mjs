// The public types as a consumer sees them (issue 10, first contact): the README's TypeScript code
// blocks (```ts and ```tsx) and tests/types/strict-types.tsx compile under `tsc --strict` against
// dist/'s .d.ts, imported by the package name; and tests/types/embind-surface.ts, the compile-only
// test of the embind surface's one declaration (dist/wasm/realtime_wasm.d.mts). Needs dist/
// (scripts/build.sh).
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { run } from './process-helpers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));

/** The ```ts / ```tsx blocks of a markdown text, with the line each starts on. */
export function codeBlocks(markdown) {
  const blocks = [];
  const lines = markdown.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(ts|tsx)\s*$/.exec(lines[i]);
    if (!open) continue;
    const start = i + 1;
    while (i + 1 < lines.length && !/^```\s*$/.test(lines[i + 1])) i++;
    blocks.push({ ext: open[1], line: start + 1, code: lines.slice(start, i + 1).join('\n') });
    i++;
  }
  return blocks;
}

test('the README\'s TypeScript blocks and the strict type checks compile under tsc --strict', {
  timeout: 120_000,
}, async () => {
  assert.ok(existsSync(join(root, 'dist/index.d.ts')), 'dist/ is missing: run scripts/build.sh first');
  const blocks = codeBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
  assert.ok(blocks.length >= 5, `expected the README's quick starts among ts/tsx blocks, found ${blocks.length}`);
  assert.ok(blocks.some((b) => b.ext === 'tsx' && b.code.includes('useWebSocket')), 'a React quick start');
  assert.ok(blocks.some((b) => b.ext === 'ts' && b.code.includes('WebSocketManager')), 'a Node quick start');

  // Inside the checkout (build/), so that react's and ws's types resolve from node_modules; the
  // package itself through node_modules/realtime-wasm, as an app imports it.
  const dir = join(root, 'build', 'types-test');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'node_modules'), { recursive: true });
  symlinkSync(root, join(dir, 'node_modules', 'realtime-wasm'), 'dir');
  const files = ['prelude.d.ts', 'strict-types.tsx', 'embind-surface.ts'];
  // What the README's snippets take as given.
  writeFileSync(join(dir, 'prelude.d.ts'),
    'declare function render(value: unknown): void;\ndeclare const token: string;\n' +
    'declare const url: string;\ndeclare const passphrase: string;\ndeclare const salt: Uint8Array;\n' +
    'declare const sharedSecret: string;\n');
  writeFileSync(join(dir, 'strict-types.tsx'), readFileSync(join(root, 'tests/types/strict-types.tsx')));
  // The embind surface's declaration (web/src/wasm/realtime_wasm.d.mts), from dist/ beside it.
  writeFileSync(join(dir, 'embind-surface.ts'), readFileSync(join(root, 'tests/types/embind-surface.ts')));
  const origin = new Map();
  blocks.forEach((b, k) => {
    const name = `readme-${k + 1}.${b.ext}`;
    // Each block is a module of its own (top-level await, no clashes between blocks).
    writeFileSync(join(dir, name), `${b.code}\nexport {};\n`);
    origin.set(name, b.line);
    files.push(name);
  });
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: {
      target: 'ES2022', lib: ['ES2022', 'DOM', 'DOM.Iterable'], module: 'ESNext',
      moduleResolution: 'bundler', jsx: 'react-jsx', strict: true, noEmit: true,
      skipLibCheck: false, isolatedModules: true, types: [],
    },
    files,
  }, null, 2));
  let out = '';
  try {
    out = await run(join(root, 'node_modules/.bin/tsc'), ['-p', dir, '--pretty', 'false'], {
      cwd: dir, timeoutMs: 100_000, what: 'tsc --strict on the README blocks',
    });
  } catch (err) {
    // Point at README.md lines rather than the temp files.
    const message = String(err.message).replace(/readme-(\d+)\.tsx?\((\d+),(\d+)\)/g,
      (_, k, line, col) => `README.md:${origin.get(`readme-${k}.${blocks[k - 1].ext}`) + Number(line) - 1}:${col}`);
    assert.fail(message);
  }
  assert.equal(out.trim(), '');
  rmSync(dir, { recursive: true, force: true });
});

test('RealtimeErrorCode\'s native part is exactly the loaded module\'s error table', async () => {
  const { NATIVE_ERROR_CODES } = await import('../../dist/errc-names.js');
  const { errcName, loadRuntime } = await import('../../dist/runtime.js');
  await loadRuntime();
  const names = new Set();
  for (let code = 1; code < 256; code++) {
    const name = errcName(code);
    if (name !== 'unknown') names.add(name);
  }
  assert.deepEqual([...names].sort(), [...NATIVE_ERROR_CODES].sort());
});
