#!/usr/bin/env node
/**
 * Runs every compiled test file (dist/test/**\/*.test.js) with node's test runner.
 *   node scripts/run-tests.mjs [filter...]   # only files whose path contains a filter
 */
import { spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const testDir = path.join(root, "dist", "test");

function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else if (name.endsWith(".test.js")) out.push(full);
  }
  return out;
}

const filters = process.argv.slice(2);
const files = walk(testDir)
  .filter((file) => filters.length === 0 || filters.some((f) => file.includes(f)))
  .sort()
  // The longest files (whole-exercise runs) start first, so they do not finish last alone.
  .sort((a, b) => Number(b.includes(`${path.sep}exercise${path.sep}`)) - Number(a.includes(`${path.sep}exercise${path.sep}`)));
if (files.length === 0) {
  console.error("no test files found (did the build run?)");
  process.exit(1);
}
const concurrency = process.env.TEST_CONCURRENCY ?? String(Math.max(2, os.availableParallelism?.() ?? 2));
const result = spawnSync(
  process.execPath,
  ["--test", "--test-reporter=spec", `--test-concurrency=${concurrency}`, "--test-timeout=600000", ...files],
  { stdio: "inherit", cwd: root, env: { ...process.env, NODE_NO_WARNINGS: "1" } },
);
process.exit(result.status ?? 1);
