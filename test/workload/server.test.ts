/**
 * The inference server against Stratus (signatures checked): the model's
 * life in S3 as the exercise lives it (missing, the placeholder text, the
 * real state_dict), predictions checked against numpy, and the error answers.
 */
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { decodeImage } from "../../src/workload/image-input.js";
import { encodeJpeg } from "./jpeg-writer.js";
import { rgbPng } from "./png-writer.js";
import { hasNumpy, modelTensors, numpyForward, SMALL_MODEL, testPicture } from "./reference.js";
import { saveStateDict } from "./torch-writer.js";
import {
  EXERCISE_METADATA,
  MODEL_KEY,
  eventually,
  getJson,
  post,
  predict,
  reload,
  startCloud,
  startWorkload,
  type Cloud,
  type RunningWorkload,
} from "./support.js";

const CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

/** The server's answer agrees with numpy's softmax: each top-5 confidence is numpy's for that label, the first is numpy's maximum. */
function assertMatchesNumpy(body: any, probabilities: number[], labels: string[], tolerance = 1e-5): void {
  for (const { label, confidence } of body.top5) {
    const expected = probabilities[labels.indexOf(label)];
    assert.ok(Math.abs(confidence - expected) < tolerance, `${label}: ${confidence} vs numpy ${expected}`);
  }
  assert.ok(Math.abs(body.confidence - Math.max(...probabilities)) < tolerance, `top confidence ${body.confidence} vs numpy ${Math.max(...probabilities)}`);
}

function assertWellFormed(body: any, labels: string[]): void {
  assert.equal(body.top5.length, 5);
  assert.equal(body.prediction, body.top5[0].label);
  assert.equal(body.confidence, body.top5[0].confidence);
  for (let i = 1; i < 5; i++) assert.ok(body.top5[i].confidence <= body.top5[i - 1].confidence);
  for (const { label, confidence } of body.top5) {
    assert.ok(labels.includes(label), label);
    assert.ok(confidence > 0 && confidence < 1);
  }
  assert.equal(typeof body.latency_ms, "number");
}

describe("inference server", () => {
  let cloud: Cloud;
  let server: RunningWorkload;
  let dir: string;
  const tensors = modelTensors(SMALL_MODEL, 11);
  const pixels = testPicture(16, 16, 3);
  let predictions = 0;

  before(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "stratus-workload-"));
    cloud = await startCloud();
    server = await startWorkload(cloud.serverOptions({ predictionsLog: path.join(dir, "predictions.jsonl") }));
  });
  after(async () => {
    await server?.close();
    await cloud?.stratus.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it("is healthy without a model, and says why it has none", async () => {
    const reloaded = await reload(server);
    assert.equal(reloaded.status, 503);
    const { status, body } = await getJson(`${server.url}/health`);
    assert.equal(status, 200);
    assert.equal(body.status, "healthy");
    assert.equal(body.model_loaded, false);
    assert.equal(body.model, `s3://ml-models-dev/${MODEL_KEY}`);
    assert.match(body.error, /NoSuchKey/);
    const refused = await predict(server, rgbPng(16, 16, pixels));
    assert.equal(refused.status, 503);
    assert.equal(refused.body.error, "Model not loaded");
  });

  it("does not load the exercise's placeholder text file, and says it is not a torch zip", async () => {
    await cloud.put(MODEL_KEY, "Placeholder PyTorch model\n", EXERCISE_METADATA);
    const { status, body } = await reload(server);
    assert.equal(status, 503);
    assert.equal(body.model_loaded, false);
    assert.match(body.error, /not a PyTorch model file: torch.save writes a zip archive/);
    assert.equal((await getJson(`${server.url}/health`)).body.error, body.error);
  });

  it("loads the state_dict uploaded with the exercise's metadata; its version is model_version", async () => {
    await cloud.put(MODEL_KEY, saveStateDict(tensors), EXERCISE_METADATA);
    const { status, body } = await reload(server);
    assert.equal(status, 200);
    assert.deepEqual(body, { status: "healthy", model_loaded: true, model_version: "1.0", model: `s3://ml-models-dev/${MODEL_KEY}`, inferences_running: 0 });
  });

  it("predicts what numpy computes for the same weights and pixels", async (t) => {
    const { status, body } = await predict(server, rgbPng(16, 16, pixels));
    assert.equal(status, 200, JSON.stringify(body));
    predictions++;
    assertWellFormed(body, CIFAR10);
    assert.equal(body.model_version, "1.0");
    if (!hasNumpy()) return t.skip("numpy is not installed: the comparison with numpy is skipped");
    const reference = numpyForward(SMALL_MODEL, tensors, pixels);
    assertMatchesNumpy(body, reference.probabilities, CIFAR10);
    assert.equal(body.prediction, CIFAR10[reference.probabilities.indexOf(Math.max(...reference.probabilities))]);
  });

  it("decodes a JPEG and resizes a picture of another size", async (t) => {
    const original = testPicture(16, 16, 4);
    const jpeg = encodeJpeg(original, 16, 16, { sampling: "420" });
    const fromJpeg = await predict(server, jpeg, "image/jpeg");
    assert.equal(fromJpeg.status, 200, JSON.stringify(fromJpeg.body));
    const larger = await predict(server, rgbPng(40, 24, testPicture(40, 24, 5)));
    assert.equal(larger.status, 200, JSON.stringify(larger.body));
    predictions += 2;
    assertWellFormed(larger.body, CIFAR10);
    if (!hasNumpy()) return t.skip("numpy is not installed: the comparison with numpy is skipped");
    // The JPEG's pixels as decoded (checked against the encoded ones in images.test.ts), through numpy's network.
    const decoded = decodeImage(jpeg).data;
    assertMatchesNumpy(fromJpeg.body, numpyForward(SMALL_MODEL, tensors, decoded).probabilities, CIFAR10);
    const original_ = numpyForward(SMALL_MODEL, tensors, original).probabilities;
    const decoded_ = numpyForward(SMALL_MODEL, tensors, decoded).probabilities;
    assert.notDeepEqual(original_, decoded_, "JPEG is lossy: the check above would catch a server that skipped decoding");
  });

  it("answers 400 without an image, 415 for what it cannot decode, 404 and 405, 413 past 20 MiB", async () => {
    const noImage = await predict(server, rgbPng(16, 16, pixels), "image/png", "photo");
    assert.deepEqual(noImage, { status: 400, body: { error: "No image provided" } });
    assert.deepEqual(await post(`${server.url}/predict`, "image=abc", { "content-type": "application/x-www-form-urlencoded" }), noImage);
    assert.deepEqual(await post(`${server.url}/predict`), noImage);
    assert.deepEqual(await predict(server, Buffer.alloc(0)), noImage);
    const garbage = await predict(server, Buffer.from("this is not a picture"));
    assert.equal(garbage.status, 415);
    assert.match(garbage.body.error, /^Cannot decode the image: not an image this server reads/);
    const progressive = Buffer.from(encodeJpeg(pixels, 16, 16));
    progressive[progressive.indexOf(Buffer.from([0xff, 0xc0])) + 1] = 0xc2;
    const refused = await predict(server, progressive, "image/jpeg");
    assert.equal(refused.status, 415);
    assert.match(refused.body.error, /progressive JPEG is not supported/);
    const missing = await getJson(`${server.url}/models`);
    assert.equal(missing.status, 404);
    assert.match(missing.body.error, /Not found/);
    assert.equal((await getJson(`${server.url}/predict`)).status, 405);
    assert.equal((await post(`${server.url}/health`, "x")).status, 405);
    const tooLarge = await predict(server, Buffer.alloc(20 * 1024 * 1024 + 1));
    assert.equal(tooLarge.status, 413);
    assert.equal((await getJson(`${server.url}/health`)).body.model_loaded, true, "the connection and the server carry on");
  });

  it("appends one JSON line per prediction to PREDICTIONS_LOG", () => {
    const lines = readFileSync(path.join(dir, "predictions.jsonl"), "utf8").trim().split("\n").map((line) => JSON.parse(line));
    assert.equal(lines.length, predictions);
    for (const line of lines) {
      assert.deepEqual(Object.keys(line), ["time", "prediction", "confidence", "model_version", "latency_ms"]);
      assert.ok(!Number.isNaN(Date.parse(line.time)));
      assert.ok(CIFAR10.includes(line.prediction));
      assert.equal(line.model_version, "1.0");
    }
  });

  it("names classes from labels.json beside the model, and refuses one that does not fit", async () => {
    const names = CIFAR10.map((n) => n.toUpperCase());
    await cloud.put("models/v1.0/labels.json", JSON.stringify(names));
    assert.equal((await reload(server)).status, 200);
    const { body } = await predict(server, rgbPng(16, 16, pixels));
    predictions++;
    assertWellFormed(body, names);
    await cloud.put("models/v1.0/labels.json", JSON.stringify(names.slice(0, 5)));
    const refused = await reload(server);
    assert.equal(refused.status, 503);
    assert.match(refused.body.error, /labels.json names 5 classes, but the model has 10 outputs/);
    await cloud.remove("models/v1.0/labels.json");
    assert.equal((await reload(server)).status, 200);
  });
});

describe("inference server options", () => {
  let cloud: Cloud;
  before(async () => {
    cloud = await startCloud("models-elsewhere");
  });
  after(() => cloud?.stratus.stop());

  it("retries every RELOAD_SECONDS until the model appears; NORMALIZE=none feeds raw [0, 1] pixels", async (t) => {
    const shape = { size: 8, convs: [3], linears: [4] };
    const tensors = modelTensors(shape, 21);
    const server = await startWorkload(cloud.serverOptions({ key: "m/model.pth", reloadSeconds: 0.2, normalization: "none" }));
    try {
      assert.equal((await getJson(`${server.url}/health`)).body.model_loaded, false);
      await cloud.put("m/model.pth", saveStateDict(tensors));
      await eventually(async () => (await getJson(`${server.url}/health`)).body.model_loaded === true);
      const health = (await getJson(`${server.url}/health`)).body;
      assert.equal(health.model_version, "unknown", "no model_version metadata");
      const picture = testPicture(8, 8, 6);
      const { status, body } = await predict(server, rgbPng(8, 8, picture));
      assert.equal(status, 200);
      assert.deepEqual(body.top5.map((e: any) => e.label).sort(), ["class_0", "class_1", "class_2", "class_3"], "4 outputs: class_<i>");
      if (!hasNumpy()) return t.skip("numpy is not installed: the comparison with numpy is skipped");
      assertMatchesNumpy(body, numpyForward(shape, tensors, picture, false).probabilities, ["class_0", "class_1", "class_2", "class_3"]);
    } finally {
      await server.close();
    }
  });
});
