/** Helpers of the tests of instances that run (--runtime namespaces). */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import type { RunningStratus } from "../../src/index.js";

/** Polls a URL until it answers 200 (the instance boots in real time). */
export async function fetchWhenUp(url: string, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return await response.text();
      last = response.status;
    } catch (error) {
      last = error;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer: ${String(last)}`);
}

/**
 * Polls a URL until the instance no longer serves it (a stop kills at once; the network goes
 * right after). Once the route is gone, the address may lead elsewhere (the host's default
 * route, perhaps an egress proxy): anything but the instance's 200 counts.
 */
export async function notServed(url: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(500) });
      await response.arrayBuffer();
      if (response.status !== 200) return;
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${url} is still served`);
}

/** Runs python inside the instance's network namespace (as a process of the instance would reach IMDS). */
export async function inInstanceNetwork(instanceId: string, code: string): Promise<string> {
  // Asynchronously: the metadata service answers from this very process.
  const { stdout } = await promisify(execFile)("/usr/sbin/ip", ["netns", "exec", `stratus-${instanceId}`, "python3", "-c", code], { encoding: "utf8", timeout: 10_000 });
  return stdout.trim();
}

/**
 * Runs a shell script inside an instance, as root in its namespaces and root
 * (what a user logged in over SSH does with sudo); resolves with its output.
 */
export async function inInstance(stratus: RunningStratus, instanceId: string, script: string): Promise<string> {
  const pidFile = path.join(path.dirname(stratus.cloud.blobsDir), "instances", instanceId, "init-pid");
  let pid = "";
  for (let i = 0; i < 100 && !pid; i++) {
    try {
      pid = readFileSync(pidFile, "utf8").trim();
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  assert.ok(pid, `${instanceId} runs`);
  const args = ["--target", pid, "--mount", "--uts", "--ipc", "--net", "--pid", "--root", "--wd=/", "/bin/sh", "-c", script];
  const { stdout } = await promisify(execFile)("/usr/bin/nsenter", args, { encoding: "utf8", timeout: 60_000 });
  return stdout.trim();
}
