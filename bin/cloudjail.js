#!/usr/bin/env node
"use strict";
/**
 * Entry for `npx cloudjail`. Runs the TypeScript CLI from an esbuild bundle of this checkout's sources, rebuilt
 * whenever a source file is newer than it (a few ms to check, ~1 s to rebuild), so a checkout needs no build step
 * and a command starts in a fraction of what compiling through tsx costs. Falls back to tsx if esbuild fails.
 *
 * The bundle sits in bin/cli/ so that `__dirname` in the bundled bin/cli modules means what it means in their sources.
 */
const fs = require("node:fs");
const path = require("node:path");

// The SDK's notice that its 2027 releases need Node 22 would open every command's output on Node 20; README says so once.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const root = path.join(__dirname, "..");
const entry = path.join(__dirname, "cloudjail.ts");
const bundle = path.join(__dirname, "cli", ".cloudjail-bundle.js");
const SOURCE_DIRS = ["bin", "lambda", "lib"].map((dir) => path.join(root, dir));

function newestSourceTime() {
  let newest = fs.statSync(path.join(root, "package.json")).mtimeMs;
  const pending = [...SOURCE_DIRS];
  while (pending.length > 0) {
    const dir = pending.pop();
    for (const item of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, item.name);
      if (item.isDirectory()) pending.push(full);
      else if (item.name.endsWith(".ts") || item.name.endsWith(".json"))
        newest = Math.max(newest, fs.statSync(full).mtimeMs);
    }
  }
  return newest;
}

function freshBundle() {
  try {
    if (fs.existsSync(bundle) && fs.statSync(bundle).mtimeMs >= newestSourceTime()) return bundle;
    const temporary = `${bundle}.${process.pid}.tmp`;
    require("esbuild").buildSync({
      entryPoints: [entry],
      outfile: temporary,
      bundle: true,
      platform: "node",
      format: "cjs",
      target: "node20",
      packages: "external",
      logLevel: "silent",
    });
    fs.renameSync(temporary, bundle); // atomic: a concurrent start sees the old bundle or the new one
    return bundle;
  } catch {
    return undefined;
  }
}

const built = freshBundle();
if (built) {
  require(built);
} else {
  require("tsx/cjs");
  require(entry);
}
