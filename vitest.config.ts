import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["**/*.test.ts"],
    exclude: ["node_modules/**", "**/interop/**"],
    // Real sockets, real solves: give integration tests room, never rely on timing.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
  },
});
