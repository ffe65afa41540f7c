#!/usr/bin/env node
// Entry shim for `npx cloudjail`: loads the TypeScript CLI through tsx so a checkout needs no build step.
require("tsx/cjs");
require("./cloudjail.ts");
