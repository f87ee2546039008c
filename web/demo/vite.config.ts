import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const dist = (p: string) => fileURLToPath(new URL(`../../dist/${p}`, import.meta.url));

// The demo uses the package exactly as an app would; the aliases point at this checkout's build.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  plugins: [react()],
  resolve: {
    alias: [
      { find: /^realtime-wasm\/react$/, replacement: dist('react/index.js') },
      { find: /^realtime-wasm$/, replacement: dist('index.js') },
    ],
  },
  build: { outDir: fileURLToPath(new URL('../../build/demo', import.meta.url)), emptyOutDir: true },
});
