// Browser specs: the real server on an ephemeral port, driven through Debian's Chromium (playwright-core).
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '..',
  roots: ['<rootDir>/test/browser'],
  testRegex: '\\.browser-spec\\.ts$',
  testEnvironment: 'node',
  testTimeout: 60000,
  globalSetup: '<rootDir>/test/browser/build-client.js',
  // One browser and one server at a time: the machine has two cores and the figures must hold.
  maxWorkers: 1,
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.spec.json' }],
  },
};
