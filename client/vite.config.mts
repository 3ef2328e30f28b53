import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The dashboard is built into client/dist and served by the Nest app on the same port.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
