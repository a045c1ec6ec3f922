#!/usr/bin/env node
// The `stratus` command. `npm install` / `npm run build` compile it into dist/: a single
// CommonJS bundle, loaded here with a V8 code cache so that start-up compiles almost nothing;
// the per-module build in dist/src is the fallback. (This file is CommonJS: a CommonJS entry
// point also starts faster than an ES module one.)
"use strict";
const { existsSync, readFileSync, writeFileSync, renameSync } = require("node:fs");
const { createRequire } = require("node:module");
const path = require("node:path");
const vm = require("node:vm");

const dist = path.join(__dirname, "..", "dist");
const bundle = path.join(dist, "stratus.cjs");
const cacheFile = path.join(dist, "stratus.cache");

const trace = process.env.STRATUS_TRACE_STARTUP === "1" ? (phase) => process.stderr.write(`[startup] ${performance.now().toFixed(1)} ms ${phase}\n`) : () => undefined;

function loadBundle() {
  trace("node ready");
  // esbuild writes the bundle as ASCII (it escapes the rest), so latin1 reads it without UTF-8 decoding.
  const source = readFileSync(bundle, "latin1");
  let cachedData;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const wrapper = `(function (exports, require, module, __filename, __dirname) {${source}\n})`;
  trace("bundle and code cache read");
  const script = new vm.Script(wrapper, { filename: bundle, cachedData });
  trace(`bundle compiled${script.cachedDataRejected ? " (code cache rejected)" : ""}`);
  const module = { exports: {} };
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dist);
  trace("bundle evaluated");
  const saveCache = () => {
    try {
      const temp = `${cacheFile}.${process.pid}`;
      writeFileSync(temp, script.createCachedData());
      renameSync(temp, cacheFile);
    } catch {
      // A read-only install just starts without the cache.
    }
  };
  return { exports: module.exports, needsCache: cachedData === undefined || script.cachedDataRejected, saveCache };
}

async function run() {
  const argv = process.argv.slice(2);
  if (!existsSync(bundle)) {
    const { main } = await import("../dist/src/cli/main.js");
    return main(argv);
  }
  const { exports, needsCache, saveCache } = loadBundle();
  if (argv[0] === "__warm-code-cache") {
    // Start an in-memory Stratus and serve a request, so that the cache holds what start-up runs.
    await exports.warmUp(saveCache);
    return 0;
  }
  // A cache from another Node.js version is rejected: write a fresh one once start-up is done.
  if (needsCache) setTimeout(saveCache, 2000).unref();
  return exports.main(argv);
}

run().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`stratus: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  },
);
