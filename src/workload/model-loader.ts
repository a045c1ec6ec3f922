/**
 * Loads the served model: the .pth from S3 into a temporary file, read by
 * the inference thread, with its version (the object's `model_version`
 * metadata) and its class names (labels.json beside it, if any).
 */
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { InferenceWorker, LoadedModel } from "./inference-worker.js";
import type { S3Reader } from "./s3.js";

export interface ModelSource {
  bucket: string;
  key: string;
  /** Default: labels.json in the model's folder. */
  labelsKey?: string;
}

export interface ServedModel extends LoadedModel {
  version: string;
  labels: string[];
}

const CIFAR10 = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"];

export function defaultLabelsKey(modelKey: string): string {
  const slash = modelKey.lastIndexOf("/");
  return slash < 0 ? "labels.json" : `${modelKey.slice(0, slash)}/labels.json`;
}

export async function loadModel(s3: S3Reader, worker: InferenceWorker, source: ModelSource): Promise<ServedModel> {
  const dir = await mkdtemp(path.join(os.tmpdir(), "stratus-model-"));
  try {
    const file = path.join(dir, "model.pth");
    const object = await s3.download(source.bucket, source.key, file);
    const labelsKey = source.labelsKey ?? defaultLabelsKey(source.key);
    const labelsFile = await s3.readIfExists(source.bucket, labelsKey);
    const loaded = await worker.load(file);
    return {
      ...loaded,
      version: object.metadata.model_version ?? "unknown",
      labels: labelsFile ? parseLabels(labelsFile, loaded.outputs, labelsKey) : defaultLabels(loaded.outputs),
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function parseLabels(file: Buffer, outputs: number, key: string): string[] {
  let labels: unknown;
  try {
    labels = JSON.parse(file.toString("utf8"));
  } catch {
    throw new Error(`${key} is not JSON (expected an array of class names)`);
  }
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === "string")) throw new Error(`${key} is not a JSON array of class names`);
  if (labels.length !== outputs) throw new Error(`${key} names ${labels.length} classes, but the model has ${outputs} outputs`);
  return labels;
}

function defaultLabels(outputs: number): string[] {
  return outputs === CIFAR10.length ? [...CIFAR10] : Array.from({ length: outputs }, (_, i) => `class_${i}`);
}

/** Softmax probabilities of logits (shifted by the maximum for stability). */
export function softmax(logits: Float32Array): number[] {
  const max = Math.max(...logits);
  const exps = Array.from(logits, (x) => Math.exp(x - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}
