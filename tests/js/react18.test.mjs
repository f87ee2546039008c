// The hooks under React 18: a temp project installs react@18 + react-dom@18 (and the test
// libraries), links this checkout's dist/ and tests/ into it, and runs the React test files there
// with --preserve-symlinks, so that every `import 'react'` (the tests' and dist/react's) resolves
// to React 18. The main suite covers React 19.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { appNpmEnv, run } from './process-helpers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const REACT_TESTS = ['react-hooks', 'react-batching', 'react-sse', 'react-ssr', 'react-lazy'].map((f) => `${f}.test.mjs`);

test('the React hooks pass under React 18', { timeout: 240_000 }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'rt-react18-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({
    name: 'rt-react18', private: true, type: 'module',
    dependencies: {
      react: '^18.3.1', 'react-dom': '^18.3.1', '@testing-library/react': '^16.3.0',
      jsdom: '*', 'global-jsdom': '*', ws: '^8', eventsource: '*',
    },
  }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error',
    '--fetch-retries=1', '--fetch-retry-mintimeout=2000', '--fetch-retry-maxtimeout=5000'],
  { cwd: dir, env: appNpmEnv(), timeoutMs: 150_000, what: 'npm install of React 18' });
  symlinkSync(join(root, 'dist'), join(dir, 'dist'));
  symlinkSync(join(root, 'tests'), join(dir, 'tests'));
  const version = await run(process.execPath, ['--input-type=module', '-e',
    "import * as R from 'react'; import * as D from 'react-dom'; console.log(R.version, D.version)"],
  { cwd: dir, timeoutMs: 20_000, what: 'React version' });
  assert.match(version.trim(), /^18\.\d+\.\d+ 18\.\d+\.\d+$/);
  // A nested `node --test` runs its files only outside another test runner's context.
  const { NODE_TEST_CONTEXT, ...childEnv } = process.env;
  const out = await run(process.execPath, ['--preserve-symlinks', '--experimental-eventsource', '--test',
    '--test-concurrency=1', ...REACT_TESTS.map((f) => join(dir, 'tests/js', f))],
  { cwd: dir, env: childEnv, timeoutMs: 180_000, what: 'React tests under React 18' });
  const passed = Number(/^# pass (\d+)/m.exec(out)?.[1] ?? 0);
  assert.ok(passed >= 10, `expected the React tests to run under React 18, got:\n${out.slice(-2000)}`);
  assert.match(out, /^# fail 0$/m);
  t.diagnostic(`React ${version.trim()}: ${passed} hook tests passed`);
});
