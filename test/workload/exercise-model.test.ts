/**
 * The exercise's own SimpleCNN (224x224 input, fc1 of 64·56·56→128: a 103 MB
 * .pth): loaded from S3, run, checked against numpy; /health answers while
 * inferences are running.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { rgbPng } from "./png-writer.js";
import { EXERCISE_MODEL, hasNumpy, modelTensors, numpyForward, testPicture } from "./reference.js";
import { saveStateDict } from "./torch-writer.js";
import { EXERCISE_METADATA, MODEL_KEY, getJson, predict, reload, startCloud, startWorkload, type Cloud, type RunningWorkload } from "./support.js";

const CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

describe("the exercise's SimpleCNN", () => {
  let cloud: Cloud;
  let server: RunningWorkload;
  const tensors = modelTensors(EXERCISE_MODEL, 2024);
  const pixels = testPicture(224, 224, 8);
  const png = rgbPng(224, 224, pixels);

  before(async () => {
    cloud = await startCloud();
    await cloud.put(MODEL_KEY, saveStateDict(tensors), EXERCISE_METADATA);
    server = await startWorkload(cloud.serverOptions());
  });
  after(async () => {
    await server?.close();
    await cloud?.stratus.stop();
  });

  it("loads the 103 MB state_dict and predicts what numpy computes", async (t) => {
    const loaded = await reload(server);
    assert.equal(loaded.status, 200, JSON.stringify(loaded.body));
    const { status, body } = await predict(server, png);
    assert.equal(status, 200, JSON.stringify(body));
    t.diagnostic(`latency_ms ${body.latency_ms} (decode, forward pass, softmax; not asserted)`);
    assert.ok(CIFAR10.includes(body.prediction));
    if (!hasNumpy()) return t.skip("numpy is not installed: the comparison with numpy is skipped");
    const reference = numpyForward(EXERCISE_MODEL, tensors, pixels);
    for (const { label, confidence } of body.top5) {
      const expected = reference.probabilities[CIFAR10.indexOf(label)];
      assert.ok(Math.abs(confidence - expected) < 1e-4, `${label}: ${confidence} vs numpy ${expected}`);
    }
    assert.ok(Math.abs(body.confidence - Math.max(...reference.probabilities)) < 1e-4);
  });

  it("answers /health while inferences run in the inference thread", async () => {
    let finished = 0;
    const inferences = Array.from({ length: 3 }, () => predict(server, png).finally(() => finished++));
    // Were the forward pass on the event loop, /health could only be answered between inferences, never see one running.
    let sawOneRunning = false;
    while (!sawOneRunning && finished < 3) {
      const health = await getJson(`${server.url}/health`);
      assert.equal(health.status, 200);
      assert.equal(health.body.model_loaded, true);
      sawOneRunning = health.body.inferences_running > 0;
    }
    assert.ok(sawOneRunning, "a /health answered while an inference was running");
    for (const answer of await Promise.all(inferences)) assert.equal(answer.status, 200);
    assert.equal((await getJson(`${server.url}/health`)).body.inferences_running, 0);
  });
});
