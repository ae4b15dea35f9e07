/** Jest runs TypeScript through ts-jest in transpile-only mode (isolatedModules in tsconfig); `npm run build` type-checks. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', {}] },
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  testTimeout: 60000,
  // Integration suites start their own DynamoDB Local / emulator on free ports, so files may run in parallel.
  maxWorkers: 2,
};
