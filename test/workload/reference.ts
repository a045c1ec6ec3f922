/**
 * Test support: SimpleCNN-shaped weights from a seeded generator, test
 * pictures, and an independent reference forward pass in numpy (python3),
 * which reads the raw weights and pixels, not the .pth.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { SavedTensor } from "./torch-writer.js";

export interface ModelShape {
  /** Input height and width. */
  size: number;
  /** Output channels of each conv (3x3, padding 1). */
  convs: number[];
  /** Output features of each linear layer; the last is the classes. */
  linears: number[];
}

/** The exercise's SimpleCNN: conv 3→32, conv 32→64, fc 64·56·56→128, fc 128→10, 224x224 input. */
export const EXERCISE_MODEL: ModelShape = { size: 224, convs: [32, 64], linears: [128, 10] };
/** The same family, small: 16x16 input. */
export const SMALL_MODEL: ModelShape = { size: 16, convs: [4, 8], linears: [12, 10] };

/** A seeded uniform generator in [-1, 1) (xorshift32). */
export function random(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return ((x >>> 0) / 2 ** 32) * 2 - 1;
  };
}

/** The state_dict tensors (conv1, conv2, ..., fc1, fc2, ...), uniform in ±gain/√fan_in like PyTorch's default init. */
export function modelTensors(shape: ModelShape, seed: number, gain = 2.5): SavedTensor[] {
  const next = random(seed);
  const tensors: SavedTensor[] = [];
  const add = (name: string, dims: number[], fanIn: number) => {
    const count = dims.reduce((a, b) => a * b, 1);
    const bound = gain / Math.sqrt(fanIn);
    const values = new Float32Array(count);
    for (let i = 0; i < count; i++) values[i] = next() * bound;
    tensors.push({ name, shape: dims, storage: { dtype: "float32", values } });
  };
  let channels = 3;
  shape.convs.forEach((out, i) => {
    add(`conv${i + 1}.weight`, [out, channels, 3, 3], channels * 9);
    add(`conv${i + 1}.bias`, [out], channels * 9);
    channels = out;
  });
  let features = channels * (shape.size >> shape.convs.length) ** 2;
  shape.linears.forEach((out, i) => {
    add(`fc${i + 1}.weight`, [out, features], features);
    add(`fc${i + 1}.bias`, [out], features);
    features = out;
  });
  return tensors;
}

/** A deterministic picture: gradients, a disc and noise. */
export function testPicture(width: number, height: number, seed: number): Uint8Array {
  const next = random(seed);
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const disc = (x - width / 2) ** 2 + (y - height / 3) ** 2 < (width / 4) ** 2;
      const i = (y * width + x) * 3;
      out[i] = Math.max(0, Math.min(255, Math.round((255 * x) / width + next() * 20)));
      out[i + 1] = disc ? 220 : Math.round((255 * y) / height);
      out[i + 2] = Math.max(0, Math.min(255, Math.round(128 + 100 * Math.sin((x + y) / 5) + next() * 10)));
    }
  }
  return out;
}

let numpyPresent: boolean | undefined;
export function hasNumpy(): boolean {
  numpyPresent ??= spawnSync("python3", ["-c", "import numpy"]).status === 0;
  return numpyPresent;
}

const FORWARD = `
import json, sys
import numpy as np
spec = json.load(open(sys.argv[1]))
blob = np.fromfile(spec["weights"], dtype="<f4").astype(np.float64)
def tensor(name):
    t = spec["tensors"][name]
    return blob[t["offset"]:t["offset"] + t["count"]].reshape(t["shape"])
size = spec["size"]
x = np.fromfile(spec["pixels"], dtype=np.uint8).reshape(size, size, 3).astype(np.float64) / 255.0
if spec["normalize"]:
    x = (x - np.array([0.485, 0.456, 0.406])) / np.array([0.229, 0.224, 0.225])
x = x.transpose(2, 0, 1)
for name in spec["convs"]:
    w, b = tensor(name + ".weight"), tensor(name + ".bias")
    c, h, wd = x.shape
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    out = np.zeros((w.shape[0], h, wd))
    for ky in range(3):
        for kx in range(3):
            out += np.tensordot(w[:, :, ky, kx], xp[:, ky:ky + h, kx:kx + wd], axes=([1], [0]))
    out = np.maximum(out + b[:, None, None], 0)
    x = out[:, :h // 2 * 2, :wd // 2 * 2].reshape(out.shape[0], h // 2, 2, wd // 2, 2).max(axis=(2, 4))
x = x.reshape(-1)
for i, name in enumerate(spec["linears"]):
    x = tensor(name + ".weight") @ x + tensor(name + ".bias")
    if i + 1 < len(spec["linears"]):
        x = np.maximum(x, 0)
p = np.exp(x - x.max())
p = p / p.sum()
print(json.dumps({"logits": x.tolist(), "probabilities": p.tolist()}))
`;

/** The logits and softmax numpy computes for `pixels` (size×size RGB), in float64. */
export function numpyForward(shape: ModelShape, tensors: SavedTensor[], pixels: Uint8Array, normalize = true): { logits: number[]; probabilities: number[] } {
  const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-numpy-"));
  try {
    const index: Record<string, { offset: number; count: number; shape: number[] }> = {};
    let offset = 0;
    const blobs: Buffer[] = [];
    for (const t of tensors) {
      const values = Float32Array.from(t.storage.values);
      index[t.name] = { offset, count: values.length, shape: t.shape };
      offset += values.length;
      blobs.push(Buffer.from(values.buffer));
    }
    writeFileSync(path.join(dir, "weights.bin"), Buffer.concat(blobs));
    writeFileSync(path.join(dir, "pixels.bin"), pixels);
    const spec = {
      weights: path.join(dir, "weights.bin"),
      pixels: path.join(dir, "pixels.bin"),
      tensors: index,
      size: shape.size,
      normalize,
      convs: shape.convs.map((_, i) => `conv${i + 1}`),
      linears: shape.linears.map((_, i) => `fc${i + 1}`),
    };
    writeFileSync(path.join(dir, "spec.json"), JSON.stringify(spec));
    const run = spawnSync("python3", ["-c", FORWARD, path.join(dir, "spec.json")], { encoding: "utf8", maxBuffer: 1 << 20 });
    if (run.status !== 0) throw new Error(`numpy reference failed: ${run.stderr}`);
    return JSON.parse(run.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
