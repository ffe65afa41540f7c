import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: "forks",
    // The SDK warns on Node 20 that its 2027 releases need Node 22; README says so, the test log need not.
    // Local tools read zone-less stamps in the machine's zone (--zone): tests read them in UTC unless they say.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", TZ: "UTC" },
  },
});
