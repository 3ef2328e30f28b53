import { defineConfig } from 'vite';

// The dashboard is built into client/dist and served by the Nest app on the same port.
export default defineConfig({
  root: __dirname,
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022' },
});
