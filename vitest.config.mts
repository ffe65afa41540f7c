import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // Timeouts catch hangs, not slowness (speed is measured under bench/): a CDK synth bundles five Lambdas, which
    // takes seconds alone and over a minute on a machine shared by many test processes.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // The SDK warns on Node 20 that its 2027 releases need Node 22; README says so, the test log need not.
    // Local tools read zone-less stamps in the machine's zone (--zone): tests read them in UTC unless they say.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", TZ: "UTC" },
  },
});
