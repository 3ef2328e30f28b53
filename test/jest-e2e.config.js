// End-to-end specs: a real Nest app on an ephemeral port, driven over HTTP and socket.io-client.
/** @type {import('jest').Config} */
module.exports = {
  rootDir: '..',
  roots: ['<rootDir>/test'],
  testRegex: '\\.e2e-spec\\.ts$',
  testEnvironment: 'node',
  testTimeout: 30000,
  maxWorkers: 2,
  extensionsToTreatAsEsm: ['.ts'],
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.spec.json' }],
  },
};
