#!/usr/bin/env node
/**
 * Bundles the `stratus` command into one CommonJS file (dist/stratus.cjs) after
 * tsc has compiled dist/src, then warms a V8 code cache for it
 * (dist/stratus.cache) by starting an in-memory Stratus once. bin/stratus.cjs
 * loads the bundle with that cache: no module resolution and little compiling
 * is most of what makes Stratus start fast. Tests use dist/src directly.
 */
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const outfile = path.join(root, "dist/stratus.cjs");
await build({
  entryPoints: [path.join(root, "dist/src/cli/main.js")],
  outfile,
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node20",
  // better-sqlite3's JavaScript is bundled too; only its compiled addon is loaded from node_modules.
  external: [],
  // import.meta.url has no CommonJS equivalent: the banner computes it from __filename.
  define: { "import.meta.url": "__stratusModuleUrl" },
  banner: { js: 'var __stratusModuleUrl = require("node:url").pathToFileURL(__filename).href;' },
  legalComments: "none",
  // bin/stratus.cjs reads the bundle as latin1: keep it ASCII.
  charset: "ascii",
  // Smaller source reads and parses faster (about 3 ms of start-up); dist/src keeps readable stack traces.
  minifyWhitespace: true,
  minifySyntax: true,
  minifyIdentifiers: true,
  logLevel: "warning",
});

rmSync(path.join(root, "dist/stratus.cache"), { force: true });
const warm = spawnSync(process.execPath, [path.join(root, "bin/stratus.cjs"), "__warm-code-cache"], { stdio: "inherit" });
if (warm.status !== 0) console.warn("bundle: the code cache was not written (Stratus still starts, a little slower)");
