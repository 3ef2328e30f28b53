// Jest globalSetup for the browser specs: builds the dashboard once; the server then serves client/dist.
// (Vite's dev middleware cannot load its config inside Jest's VM modules, and the built bundle is
// what traders get anyway.)
const { execFileSync } = require('node:child_process');
const { join } = require('node:path');

module.exports = async function buildClient() {
  const root = join(__dirname, '..', '..');
  execFileSync(
    process.execPath,
    [
      join(root, 'node_modules', 'vite', 'bin', 'vite.js'),
      'build',
      '--config',
      'client/vite.config.mts',
      '--logLevel',
      'warn',
    ],
    {
      cwd: root,
      stdio: 'inherit',
      env: { ...process.env, VITE_CONFIG_NATIVE_IGNORE_WARNING: 'true' },
    },
  );
};
