/** Jest runs TypeScript through ts-jest in transpile-only mode (isolatedModules in tsconfig); `npm run build` type-checks. */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  transform: { '^.+\\.tsx?$': ['ts-jest', {}] },
  reporters: ['default', '<rootDir>/test/support/summary-reporter.js'],
  // Generous on purpose, for every test and hook alike: the suites start JVMs and HTTP servers and run
  // whole scenarios, and a 2-core machine shared by two test runs can be ten times slower than an idle
  // one (the hostile-input fuzzing file, 1,000 counted runs, took 10 minutes so). No test sets a shorter
  // limit; what the tests measure runs on virtual clocks or counts.
  testTimeout: 1_800_000,
  // Integration suites start their own DynamoDB Local / emulator on free ports, so files may run in parallel.
  maxWorkers: 2,
};
