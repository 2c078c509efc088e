// Three tiers (CONVENTIONS.md §13): unit tests are colocated and hermetic; integration tests
// start real Postgres and nats-server on loopback; e2e journeys run every program together.
const swc = [
  '@swc/jest',
  {
    jsc: { parser: { syntax: 'typescript' }, target: 'es2022', keepClassNames: true },
    module: { type: 'commonjs' },
    sourceMaps: 'inline',
  },
];

const base = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|m?j)s$': swc },
  // ESM-only dependencies are compiled to CommonJS for jest only.
  transformIgnorePatterns: [
    '/node_modules/(?!(\\.pnpm/)?(@kubernetes|openid-client|oauth4webapi|jose|@nats-io|hpagent|kysely)[/+@])',
  ],
  moduleNameMapper: {
    '^@hubpo/([a-z-]+)$': '<rootDir>/packages/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  modulePathIgnorePatterns: ['<rootDir>/packages/.*/dist/', '<rootDir>/bench/dist/'],
  setupFiles: [],
};

module.exports = {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/packages/*/src/**/*.test.ts'],
    },
    {
      ...base,
      displayName: 'integration',
      testMatch: [
        '<rootDir>/packages/*/test/integration/**/*.test.ts',
        '<rootDir>/charts/*/test/**/*.test.ts',
      ],
    },
    {
      ...base,
      displayName: 'e2e',
      testMatch: ['<rootDir>/e2e/**/*.test.ts'],
    },
  ],
};
