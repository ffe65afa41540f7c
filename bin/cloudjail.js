#!/usr/bin/env node
// Entry shim for `npx cloudjail`: loads the TypeScript CLI through tsx so a checkout needs no build step.
// The SDK's notice that its 2027 releases need Node 22 would open every command's output on Node 20; README says so once.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
require("tsx/cjs");
require("./cloudjail.ts");
