/** Jest in ESM mode: archiver v8 is ESM-only, so the whole project is. */
export default {
  preset: 'ts-jest/presets/default-esm',
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testMatch: ['**/*.test.ts'],
  moduleNameMapper: {
    '^(\\.{1,2}/.*)\\.js$': '$1',
    // The guide's example host imports the package by its public names, as a vendor's code does; tests map
    // them onto the sources (test/plugin/host-exports.test.ts checks the real "exports" of the build).
    '^daystick$': '<rootDir>/src/plugin/index.ts',
    '^daystick/(host|stick)$': '<rootDir>/src/$1/index.ts',
  },
  transform: {
    '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json', diagnostics: { ignoreCodes: [151002] } }],
  },
  testTimeout: 60000,
  maxWorkers: 2,
};
