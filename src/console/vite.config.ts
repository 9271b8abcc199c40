// The web console's build (npm run build runs it after tsc): src/console → dist/console, served
// by the daemon at `/` (src/api/routes/console.ts). No inline script or style in the output, so
// the Content-Security-Policy needs no 'unsafe-inline'; everything is bundled, nothing from a CDN.
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'vite';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/',
  plugins: [vue()],
  build: {
    outDir: fileURLToPath(new URL('../../dist/console', import.meta.url)),
    emptyOutDir: true,
    // no data: URIs and no polyfill snippet: every byte comes from a hashed file under /assets/
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    target: 'es2022',
    sourcemap: false,
    reportCompressedSize: false,
  },
  define: { __VUE_OPTIONS_API__: 'false', __VUE_PROD_DEVTOOLS__: 'false' },
});
