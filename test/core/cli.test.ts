/** The `stratus` command against a Stratus it started in another process. */
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { after, before, describe, it } from "node:test";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const BIN = path.join(ROOT, "bin", "stratus.cjs");

interface Started {
  child: ChildProcessWithoutNullStreams;
  endpoint: string;
  banner: string;
}

/** Starts `stratus start ...` and waits for the banner naming its endpoint. */
function startProcess(args: string[], env: Record<string, string> = {}): Promise<Started> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "start", ...args], { env: { PATH: process.env.PATH ?? "", HOME: env.HOME ?? os.tmpdir(), ...env } });
    let out = "";
    let err = "";
    const timer = setTimeout(() => reject(new Error(`no banner in 20s: ${out} ${err}`)), 20_000);
    child.stdout.on("data", (d) => {
      out += d;
      const match = /listening on (http:\/\/\S+)/.exec(out);
      if (match && out.includes("stratus aws")) {
        clearTimeout(timer);
        resolve({ child, endpoint: match[1], banner: out });
      }
    });
    child.stderr.on("data", (d) => (err += d));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`stratus exited with ${code}: ${err}`));
    });
  });
}

function stop(started: Started): Promise<number | null> {
  return new Promise((resolve) => {
    started.child.removeAllListeners("exit");
    started.child.on("exit", (code) => resolve(code));
    started.child.kill("SIGTERM");
  });
}

function stratus(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", STRATUS_AWS_CLI: "/usr/bin/aws", AWS_PAGER: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("exit", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

describe("the stratus CLI", () => {
  let home: string;
  let running: Started;
  before(async () => {
    home = mkdtempSync(path.join(os.tmpdir(), "stratus-cli-"));
    running = await startProcess(["--in-memory", "--port", "0", "--clock", "virtual", "--clock-start", "2026-01-01T00:00:00Z"], { HOME: home });
  });
  after(async () => {
    if (running.child.exitCode === null) await stop(running);
    rmSync(home, { recursive: true, force: true });
  });

  it("prints the endpoint and how to point the aws CLI at it", () => {
    assert.match(running.banner, /^Stratus \d+\.\d+\.\d+ listening on http:\/\/127\.0\.0\.1:\d+$/m);
    assert.match(running.banner, /state: in memory; clock: virtual; auth: off/);
    assert.ok(running.banner.includes(`export AWS_ENDPOINT_URL=${running.endpoint} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1`));
    assert.match(running.banner, /stratus aws s3 ls/);
  });

  it("runs the aws CLI against it with dummy credentials and a region when none are set", async () => {
    const result = await stratus(["aws", "sts", "get-caller-identity", "--query", "Account", "--output", "text"], { HOME: home, STRATUS_ENDPOINT: running.endpoint });
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout.trim(), "000000000000");
    const created = await stratus(["aws", "--endpoint", running.endpoint, "iam", "create-role", "--role-name", "cli-role", "--assume-role-policy-document", '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}'], { HOME: home });
    assert.equal(created.code, 0, created.stderr);
    const failing = await stratus(["aws", "iam", "get-role", "--role-name", "missing"], { HOME: home, STRATUS_ENDPOINT: running.endpoint });
    assert.equal(failing.code, 254);
    assert.match(failing.stderr, /NoSuchEntity/);
  });

  it("shows status, moves and shows the clock, and resets", async () => {
    const status = await stratus(["status", "--endpoint", running.endpoint]);
    assert.equal(status.code, 0, status.stderr);
    const health = JSON.parse(status.stdout);
    assert.equal(health.status, "running");
    assert.equal(health.clock.mode, "virtual");

    const show = await stratus(["clock", "show"], { STRATUS_ENDPOINT: running.endpoint });
    assert.match(show.stdout, /^2026-01-01T\d\d:\d\d:\d\d\.\d{3}Z \(virtual clock, \d+ scheduled jobs\)$/m);
    const advanced = await stratus(["clock", "advance", "30d", "--endpoint", running.endpoint]);
    assert.equal(advanced.code, 0, advanced.stderr);
    assert.match(advanced.stdout, /^2026-01-31T/);
    const set = await stratus(["clock", "set", "2027-01-01T00:00:00Z", "--endpoint", running.endpoint]);
    assert.match(set.stdout, /^2027-01-01T00:00:0/);
    const bad = await stratus(["clock", "advance", "later", "--endpoint", running.endpoint]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /invalid duration/);

    const reset = await stratus(["reset", "--endpoint", running.endpoint]);
    assert.equal(reset.code, 0);
    assert.match(reset.stdout, /all state deleted/);
    const gone = await stratus(["aws", "iam", "get-role", "--role-name", "cli-role"], { HOME: home, STRATUS_ENDPOINT: running.endpoint });
    assert.match(gone.stderr, /NoSuchEntity/);
  });

  it("says so when no Stratus answers, and explains unknown commands", async () => {
    const none = await stratus(["status", "--endpoint", "http://127.0.0.1:9"]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no Stratus answers at http:\/\/127\.0\.0\.1:9 \(start one with: stratus start\)/);
    const unknown = await stratus(["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command: frobnicate/);
    const help = await stratus(["--help"]);
    assert.match(help.stdout, /stratus start \[--host H\] \[--port P\]/);
  });

  it("stops on SIGTERM", async () => {
    assert.equal(await stop(running), 0);
  });

  it("starts in strict mode with an AWS credentials file and a data dir", async () => {
    const file = path.join(home, "credentials");
    writeFileSync(file, "[default]\naws_access_key_id = AKIACLISTRICTKEY0001\naws_secret_access_key = cli-strict-secret\n");
    const dataDir = path.join(home, "data");
    const strict = await startProcess(["--port", "0", "--data-dir", dataDir, "--auth", "strict", "--credentials-file", file], { HOME: home });
    try {
      assert.match(strict.banner, new RegExp(`state: ${dataDir.replace(/[/.]/g, "\\$&")}; clock: system; auth: strict`));
      const ok = await stratus(["aws", "sts", "get-caller-identity", "--query", "Arn", "--output", "text"], {
        HOME: home,
        STRATUS_ENDPOINT: strict.endpoint,
        AWS_ACCESS_KEY_ID: "AKIACLISTRICTKEY0001",
        AWS_SECRET_ACCESS_KEY: "cli-strict-secret",
        AWS_DEFAULT_REGION: "eu-west-1",
      });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(ok.stdout.trim(), "arn:aws:iam::000000000000:root");
      const refused = await stratus(["aws", "sts", "get-caller-identity"], { HOME: home, STRATUS_ENDPOINT: strict.endpoint });
      assert.notEqual(refused.code, 0);
      assert.match(refused.stderr, /InvalidClientTokenId/);
    } finally {
      assert.equal(await stop(strict), 0);
    }
  });

  it("refuses bad flags before starting anything", async () => {
    const bad = await stratus(["start", "--clock", "sundial"]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--clock must be system or virtual/);
    const badPort = await stratus(["start", "--port", "http"]);
    assert.match(badPort.stderr, /--port must be a number/);
  });
});
