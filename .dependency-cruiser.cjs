// Module boundaries, checked by `npm run lint` (depcruise): no import cycles, and each concrete
// implementation named by one module only (docs/ARCHITECTURE.md explains the layout).
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'Import cycles hide which module owns what.',
      from: {},
      to: { circular: true },
    },
    {
      name: 'simulator-behind-price-feed',
      severity: 'error',
      comment:
        'Only market-data.module.ts binds the simulator (PriceFeed, HistoryBackfill); everything else uses the abstractions.',
      from: {
        path: '^src/',
        pathNot: [
          '^src/market-data/simulator/',
          '^src/market-data/market-data\\.module\\.ts$',
          '\\.(spec|contract)\\.ts$',
        ],
      },
      to: { path: '^src/market-data/simulator/' },
    },
    {
      name: 'store-behind-quote-store',
      severity: 'error',
      comment: 'Only storage.module.ts names the concrete stores; everything else uses QuoteStore.',
      from: {
        path: '^src/',
        pathNot: [
          '^src/storage/(sqlite|postgres)/',
          '^src/storage/storage\\.module\\.ts$',
          '\\.(spec|contract)\\.ts$',
        ],
      },
      to: { path: '^src/storage/(sqlite|postgres)/' },
    },
    {
      name: 'fakes-in-tests-only',
      severity: 'error',
      comment: 'Test doubles stay out of the shipped server.',
      from: { path: '^src/', pathNot: '\\.(spec|contract|fake)\\.ts$' },
      to: { path: '\\.fake\\.ts$' },
    },
    {
      name: 'server-not-client',
      severity: 'error',
      comment: 'The server never imports the dashboard.',
      from: { path: '^src/' },
      to: { path: '^client/' },
    },
    {
      name: 'client-shares-only-pure-code',
      severity: 'error',
      comment:
        'The dashboard imports from src/ only the contracts and the dependency-free helpers (seeded RNG, config defaults).',
      from: { path: '^client/src/' },
      to: {
        path: '^src/',
        pathNot: ['^src/contracts/', '^src/common/rng\\.ts$', '^src/config/defaults\\.ts$'],
      },
    },
    {
      name: 'contracts-stand-alone',
      severity: 'error',
      comment:
        'The contracts are shared with the dashboard, tests and benchmarks: they import nothing.',
      from: { path: '^src/contracts/' },
      to: { path: '^(src|client)/', pathNot: '^src/contracts/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)(node_modules|dist)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.spec.json' },
    enhancedResolveOptions: { extensions: ['.ts', '.js', '.mjs', '.cjs'] },
  },
};
