import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Deadlines against a hung test, not speed requirements: a loaded 2-core machine runs a test several times slower.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // expect.poll waits for a condition; vitest's 1 s default is a guess a busy machine breaks, and a longer
    // deadline costs nothing when the condition holds.
    expect: { poll: { timeout: 15_000 } },
  },
});
