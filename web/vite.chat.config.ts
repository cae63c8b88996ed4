// static/widget/chat.js, the chat panel the launcher imports: one ES module with Preact and
// its CSS inside (injected into the shadow root), so opening the chat costs one request.
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: '../helpline/static',
    emptyOutDir: false,
    target: 'es2020',
    // Library mode keeps whitespace in ES output for other bundlers; this file goes to browsers.
    rolldownOptions: { output: { minify: true, comments: false } },
    lib: {
      entry: 'widget/chat.tsx',
      formats: ['es'],
      fileName: () => 'widget/chat.js',
    },
  },
});
