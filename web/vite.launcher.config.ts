// widget.js, the launcher every page loads: one small classic script (IIFE), no Preact.
import { defineConfig } from 'vite';

export default defineConfig({
  publicDir: false,
  build: {
    outDir: '../helpline/static',
    emptyOutDir: false, // the chat and the console build into the same directory
    target: 'es2019',
    lib: {
      entry: 'widget/launcher.ts',
      formats: ['iife'],
      name: 'HelplineLauncher',
      fileName: () => 'widget.js',
    },
  },
});
