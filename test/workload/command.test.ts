/**
 * The server as a program: `node dist/src/workload/main.js` and `stratus
 * workload`, configured by flags and environment, logging each request, and
 * stopping cleanly on SIGTERM.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { projectPath } from "../../src/core/paths.js";
import { rgbPng } from "./png-writer.js";
import { modelTensors, SMALL_MODEL, testPicture } from "./reference.js";
import { saveStateDict } from "./torch-writer.js";
import { EXERCISE_METADATA, KEYS, eventually, getJson, startCloud, startImds, type Cloud, type ImdsStandIn } from "./support.js";

interface Program {
  child: ChildProcess;
  url: string;
  output: () => string;
  exit: Promise<number | null>;
}

/** Starts a program and waits for its "listening on" line. */
async function launch(args: string[], env: Record<string, string>): Promise<Program> {
  const child = spawn(process.execPath, args, { env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: os.tmpdir(), ...env } });
  let output = "";
  child.stdout!.on("data", (d) => (output += d));
  child.stderr!.on("data", (d) => (output += d));
  const exit = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  let url: string | undefined;
  await eventually(async () => {
    if (child.exitCode !== null) throw new Error(`the program exited: ${output}`);
    url = /listening on (http:\/\/\S+)/.exec(output)?.[1];
    return url !== undefined;
  });
  return { child, url: url!, output: () => output, exit };
}

describe("the inference server as a program", () => {
  let cloud: Cloud;
  let imds: ImdsStandIn;
  let dir: string;
  let env: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-workload-cmd-"));
    cloud = await startCloud("exercise-models");
    await cloud.put("models/v2/model.pth", saveStateDict(modelTensors(SMALL_MODEL, 9)), { ...EXERCISE_METADATA, model_version: "2.0" });
    imds = await startImds(KEYS);
    env = {
      HOST: "127.0.0.1",
      PORT: "0",
      MODEL_BUCKET: "not-this-bucket",
      MODEL_KEY: "models/v2/model.pth",
      AWS_ENDPOINT_URL: cloud.stratus.endpoint,
      AWS_REGION: "us-east-1",
      AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.url,
      PREDICTIONS_LOG: path.join(dir, "predictions.jsonl"),
    };
  });
  after(async () => {
    await imds?.close();
    await cloud?.stratus.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("node dist/src/workload/main.js: env and flags, a log line per request, a clean stop on SIGTERM", async () => {
    const program = await launch([projectPath("dist", "src", "workload", "main.js"), "--bucket", "exercise-models"], env);
    try {
      await eventually(async () => (await getJson(`${program.url}/health`)).body.model_loaded === true);
      const health = await getJson(`${program.url}/health`);
      assert.equal(health.body.model, "s3://exercise-models/models/v2/model.pth", "--bucket overrides MODEL_BUCKET");
      assert.equal(health.body.model_version, "2.0");
      const form = new FormData();
      form.append("image", new Blob([new Uint8Array(rgbPng(16, 16, testPicture(16, 16, 1)))]), "cat.png");
      const prediction = await fetch(`${program.url}/predict`, { method: "POST", body: form });
      assert.equal(prediction.status, 200);
      const logged = JSON.parse(readFileSync(env.PREDICTIONS_LOG, "utf8").trim());
      assert.equal(logged.prediction, (await prediction.json()).prediction);
      assert.match(program.output(), /model loaded: s3:\/\/exercise-models\/models\/v2\/model.pth version 2.0: conv1 conv 3→4 3x3/);
      assert.match(program.output(), /GET \/health 200 /);
      // The line is written once the answer is sent: it may arrive just after the answer.
      await eventually(async () => /POST \/predict 200 /.test(program.output()));
    } finally {
      program.child.kill("SIGTERM");
    }
    assert.equal(await program.exit, 0);
    assert.match(program.output(), /SIGTERM: stopping/);
  });

  it("stratus workload runs the same server; stratus help lists it; bad settings exit 1", async () => {
    const stratus = projectPath("bin", "stratus.cjs");
    const help = spawnSync(process.execPath, [stratus, "help"], { encoding: "utf8" });
    assert.match(help.stdout, /stratus workload \[--port P\] \[--bucket B\] \[--key K\]/);
    const program = await launch([stratus, "workload", "--port", "0", "--bucket", "exercise-models"], env);
    try {
      await eventually(async () => (await getJson(`${program.url}/health`)).body.model_loaded === true);
    } finally {
      program.child.kill("SIGTERM");
    }
    assert.equal(await program.exit, 0);
    const bad = spawnSync(process.execPath, [stratus, "workload"], { encoding: "utf8", env: { ...env, NORMALIZE: "imagenet21k" } });
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /NORMALIZE must be imagenet or none/);
  });
});
