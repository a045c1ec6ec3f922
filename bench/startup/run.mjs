#!/usr/bin/env node
/**
 * bench/startup: time from process start to the first successful
 * GetCallerIdentity, and idle RSS, for Stratus (in-memory and data-dir modes)
 * and moto's server, in the same run, with the ratios. Also: the time to the
 * first S3 ListBuckets sent right after it (Stratus answers STS before its
 * other providers have loaded), and a bare node:http server as the floor.
 *
 *   npm run bench:startup [-- --rounds 5] [-- --json results.json]
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
const args = process.argv.slice(2);
const flag = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const ROUNDS = Number(flag("rounds", "5"));
const IDLE_MS = Number(flag("idle-ms", "2000"));
const JSON_OUT = flag("json", undefined);

if (!existsSync(path.join(root, "dist", "src", "cli", "main.js"))) {
  console.error("dist/ is missing: run `npm run build` first");
  process.exit(1);
}

const BODY = "Action=GetCallerIdentity&Version=2011-06-15";
// Both servers accept any signature unless told otherwise; this one names STS in its scope.
const AUTH = "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250101/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=" + "0".repeat(64);

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

async function callerIdentity(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded; charset=utf-8", "x-amz-date": "20250101T000000Z", authorization: AUTH },
      body: BODY,
      signal: AbortSignal.timeout(2000),
    });
    const text = await response.text();
    return response.status === 200 && /<Account>\d{12}<\/Account>/.test(text);
  } catch {
    return false;
  }
}

/** RSS of a process and all its descendants, in KiB (Linux /proc). */
function treeRssKiB(pid) {
  const children = new Map();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // the process went away
    }
  }
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      const status = readFileSync(`/proc/${p}/status`, "utf8");
      total += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // gone
    }
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

function stopTree(child) {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.on("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

const S3_AUTH = AUTH.replace("/sts/", "/s3/");

/** ListBuckets answered (S3 needs every provider loaded). */
async function listBuckets(port) {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/`, {
      headers: { "x-amz-date": "20250101T000000Z", "x-amz-content-sha256": "UNSIGNED-PAYLOAD", authorization: S3_AUTH },
      signal: AbortSignal.timeout(5000),
    });
    const text = await response.text();
    return response.status === 200 && text.includes("ListAllMyBucketsResult");
  } catch {
    return false;
  }
}

async function measure(target) {
  const port = await freePort();
  const { command, argv, cleanup } = target.launch(port);
  const started = performance.now();
  const child = spawn(command, argv, { stdio: ["ignore", "ignore", "pipe"], env: { ...process.env, ...target.env } });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  let ready = false;
  while (!ready) {
    if (child.exitCode !== null) throw new Error(`${target.name} exited early: ${stderr.slice(-500)}`);
    if (performance.now() - started > 60_000) throw new Error(`${target.name} did not answer within 60s`);
    ready = await callerIdentity(port);
    if (!ready) await new Promise((r) => setTimeout(r, 5));
  }
  const startupMs = performance.now() - started;
  let s3Ms;
  if (target.s3) {
    while (!(await listBuckets(port))) {
      if (performance.now() - started > 60_000) throw new Error(`${target.name}: no ListBuckets within 60s`);
      await new Promise((r) => setTimeout(r, 5));
    }
    s3Ms = performance.now() - started;
  }
  await new Promise((r) => setTimeout(r, IDLE_MS));
  const rssKiB = treeRssKiB(child.pid);
  await stopTree(child);
  cleanup?.();
  return { startupMs, s3Ms, rssMiB: rssKiB / 1024 };
}

const node = process.execPath;
const bin = path.join(root, "bin", "stratus.cjs");
const TARGETS = [
  {
    name: "floor: bare node:http",
    launch: (port) => ({ command: node, argv: [path.join(root, "bench", "startup", "floor.cjs"), "--port", String(port)] }),
  },
  {
    name: "stratus (in-memory)",
    s3: true,
    launch: (port) => ({ command: node, argv: [bin, "start", "--in-memory", "--port", String(port), "--quiet"] }),
  },
  {
    name: "stratus (data dir)",
    s3: true,
    launch: (port) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-bench-"));
      return { command: node, argv: [bin, "start", "--data-dir", dir, "--port", String(port), "--quiet"], cleanup: () => rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: "moto_server",
    s3: true,
    launch: (port) => ({ command: "moto_server", argv: ["-p", String(port)] }),
  },
];

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const results = new Map(TARGETS.map((t) => [t.name, []]));
for (let round = 1; round <= ROUNDS; round++) {
  // Interleaved, so that background load hits every contender alike.
  for (const target of TARGETS) {
    const result = await measure(target);
    results.get(target.name).push(result);
    const s3 = result.s3Ms === undefined ? "" : ` (first ListBuckets ${result.s3Ms.toFixed(0)} ms)`;
    process.stderr.write(`round ${round}/${ROUNDS} ${target.name}: ${result.startupMs.toFixed(0)} ms${s3}, ${result.rssMiB.toFixed(1)} MiB\n`);
  }
}

const summary = TARGETS.map((t) => {
  const runs = results.get(t.name);
  return {
    name: t.name,
    startupMedianMs: median(runs.map((r) => r.startupMs)),
    startupMinMs: Math.min(...runs.map((r) => r.startupMs)),
    s3MedianMs: t.s3 ? median(runs.map((r) => r.s3Ms)) : undefined,
    rssMedianMiB: median(runs.map((r) => r.rssMiB)),
  };
});
const moto = summary.find((s) => s.name === "moto_server");
console.log(`\nbench/startup — ${ROUNDS} rounds, idle RSS after ${IDLE_MS} ms, node ${process.version}, ${os.cpus().length} CPUs`);
console.log("| server | startup to first GetCallerIdentity (median) | best | first ListBuckets after it (median) | idle RSS (median) | time vs moto | memory vs moto |");
console.log("|---|---:|---:|---:|---:|---:|---:|");
for (const s of summary) {
  const timeRatio = s.startupMedianMs / moto.startupMedianMs;
  const memRatio = s.rssMedianMiB / moto.rssMedianMiB;
  console.log(
    `| ${s.name} | ${s.startupMedianMs.toFixed(0)} ms | ${s.startupMinMs.toFixed(0)} ms | ${s.s3MedianMs === undefined ? "—" : `${s.s3MedianMs.toFixed(0)} ms`} | ${s.rssMedianMiB.toFixed(1)} MiB | ${timeRatio.toFixed(2)}x | ${memRatio.toFixed(2)}x |`,
  );
}
for (const s of summary.filter((x) => x !== moto && x.name.startsWith("stratus"))) {
  const timeRatio = s.startupMedianMs / moto.startupMedianMs;
  const memRatio = s.rssMedianMiB / moto.rssMedianMiB;
  console.log(
    `${s.name}: starts in ${(timeRatio * 100).toFixed(0)}% of moto's time (target < 20%: ${timeRatio < 0.2 ? "met" : "NOT met"}), ` +
      `idles in ${(memRatio * 100).toFixed(0)}% of its memory (target < 100%: ${memRatio < 1 ? "met" : "NOT met"})`,
  );
}
if (JSON_OUT) writeFileSync(JSON_OUT, JSON.stringify({ rounds: ROUNDS, idleMs: IDLE_MS, node: process.version, summary, runs: Object.fromEntries(results) }, null, 2) + "\n");
