// Running commands from tests: npm installs in temp projects (consumer app, React 18 check).
import { spawn } from 'node:child_process';

/** Runs a command; rejects with its output tail and the reason when it fails or times out. */
export function run(cmd, args, { cwd, env = process.env, timeoutMs, what }) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${what}: timed out after ${timeoutMs / 1000} s ` +
        `(\`${cmd} ${args.join(' ')}\` in ${cwd})\n${out.slice(-4000)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`${what}: could not run ${cmd}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`${what}: \`${cmd} ${args.join(' ')}\` exited with ${code ?? signal}` +
        ` in ${cwd}\n${out.slice(-4000)}`));
    });
  });
}

/** The environment for npm in the app folder: without what `npm test` sets about this package
 * (npm_config_local_prefix, npm_package_*, …), so that the nested npm sees only the app. */
export function appNpmEnv() {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    const key = k.toLowerCase();
    if (key.startsWith('npm_package_') || key.startsWith('npm_lifecycle_') ||
        key === 'npm_config_local_prefix' || key === 'npm_config_prefix' || key === 'init_cwd') {
      continue;
    }
    env[k] = v;
  }
  return env;
}


/** Rejects with `message` if `promise` has not settled within `ms`. */
export function within(ms, message, promise) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${message} (no result within ${ms / 1000} s)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** `npm pack`s the checkout at `root` into `dest` (no build: dist/ must exist); returns
 * { tarball, files, size }. */
export async function packPackage(root, dest) {
  const packed = JSON.parse(await run(
    'npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dest],
    { cwd: root, timeoutMs: 60_000, what: 'npm pack' }));
  const { join } = await import('node:path');
  return {
    tarball: join(dest, packed[0].filename),
    files: packed[0].files.map((f) => f.path),
    size: packed[0].size,
  };
}

/** `npm install` in an app folder, from the registry or npm's cache (prefer-offline). npm's own
 * retries would outlast the timeout on an unreachable registry: fewer and shorter, so that npm's
 * error (ECONNREFUSED, ENOTFOUND, …) is what a failure shows. */
export function npmInstall(cwd, { timeoutMs = 150_000, what = 'npm install' } = {}) {
  return run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error',
    '--fetch-retries=1', '--fetch-retry-mintimeout=1000', '--fetch-retry-maxtimeout=5000',
    '--fetch-timeout=30000'],
  { cwd, env: appNpmEnv(), timeoutMs, what: `${what} (needs the npm registry or a warm npm cache)` });
}
