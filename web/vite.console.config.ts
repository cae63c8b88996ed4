// The operator console: a single-page app. The server serves index.html at /console/ (and
// every /console/... path) and the hashed assets under /static/console/.
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('./console', import.meta.url)),
  base: '/static/console/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: fileURLToPath(new URL('../helpline/static/console', import.meta.url)),
    emptyOutDir: true, // only helpline/static/console: the widget builds next to it
    target: 'es2020',
    sourcemap: false,
    modulePreload: { polyfill: false }, // module scripts are everywhere the console runs
  },
});
