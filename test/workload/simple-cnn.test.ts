/** The architecture read off a state_dict, its refusals, and the forward pass against a naive reference. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildSimpleCnn } from "../../src/workload/simple-cnn.js";
import type { StateDict, Tensor } from "../../src/workload/torch-file.js";
import { random } from "./reference.js";

/** A state_dict of the given shapes; values seeded (or empty where only the shape matters). */
function stateDict(shapes: Array<[string, number[]]>, seed?: number): StateDict {
  const next = random(seed ?? 1);
  return new Map(
    shapes.map(([name, shape]): [string, Tensor] => {
      const count = seed === undefined ? 0 : shape.reduce((a, b) => a * b, 1);
      return [name, { shape, dtype: "float32", data: Float32Array.from({ length: count }, () => next() * 0.5) }];
    }),
  );
}

const EXERCISE: Array<[string, number[]]> = [
  ["conv1.weight", [32, 3, 3, 3]], ["conv1.bias", [32]],
  ["conv2.weight", [64, 32, 3, 3]], ["conv2.bias", [64]],
  ["fc1.weight", [128, 64 * 56 * 56]], ["fc1.bias", [128]],
  ["fc2.weight", [10, 128]], ["fc2.bias", [10]],
];

/** Conv (padding k//2) + ReLU + 2x2 max-pool, then linear layers, written the slow obvious way. */
function naiveForward(state: StateDict, convs: string[], linears: string[], input: Float32Array, size: number): number[] {
  let x = Array.from(input);
  let channels = 3;
  for (const name of convs) {
    const w = state.get(`${name}.weight`)!;
    const b = state.get(`${name}.bias`)?.data;
    const [out, , k] = w.shape;
    const pad = k >> 1;
    const y = new Array(out * size * size).fill(0);
    for (let o = 0; o < out; o++)
      for (let r = 0; r < size; r++)
        for (let c = 0; c < size; c++) {
          let sum = b ? b[o] : 0;
          for (let i = 0; i < channels; i++)
            for (let ky = 0; ky < k; ky++)
              for (let kx = 0; kx < k; kx++) {
                const rr = r + ky - pad;
                const cc = c + kx - pad;
                if (rr >= 0 && rr < size && cc >= 0 && cc < size) sum += w.data[((o * channels + i) * k + ky) * k + kx] * x[(i * size + rr) * size + cc];
              }
          y[(o * size + r) * size + c] = Math.max(0, sum);
        }
    const half = size >> 1;
    x = new Array(out * half * half);
    for (let o = 0; o < out; o++)
      for (let r = 0; r < half; r++)
        for (let c = 0; c < half; c++) {
          const at = (rr: number, cc: number) => y[(o * size + rr) * size + cc];
          x[(o * half + r) * half + c] = Math.max(at(2 * r, 2 * c), at(2 * r, 2 * c + 1), at(2 * r + 1, 2 * c), at(2 * r + 1, 2 * c + 1));
        }
    channels = out;
    size = half;
  }
  linears.forEach((name, index) => {
    const w = state.get(`${name}.weight`)!;
    const b = state.get(`${name}.bias`)!.data;
    const [out, inputs] = w.shape;
    x = Array.from({ length: out }, (_, o) => {
      let sum = b[o];
      for (let i = 0; i < inputs; i++) sum += w.data[o * inputs + i] * x[i];
      return index + 1 < linears.length ? Math.max(0, sum) : sum;
    });
  });
  return x;
}

describe("SimpleCNN from a state_dict", () => {
  it("reads the exercise's model: two 3x3 convs, two linear layers, 224x224 input, 10 classes", () => {
    const network = buildSimpleCnn(stateDict(EXERCISE));
    assert.equal(network.inputSize, 224);
    assert.equal(network.outputs, 10);
    assert.equal(network.describe(), "conv1 conv 3→32 3x3, conv2 conv 32→64 3x3, fc1 linear 200704→128, fc2 linear 128→10; input 3x224x224");
  });

  it("refuses a state_dict outside the family, saying why", () => {
    const refuse = (shapes: Array<[string, number[]]>, why: RegExp) => assert.throws(() => buildSimpleCnn(stateDict(shapes)), why);
    refuse([...EXERCISE.slice(0, 2), ["bn1.running_mean", [32]], ...EXERCISE.slice(2)], /bn1\.running_mean: only convolution and linear layers/);
    refuse([["fc1.weight", [10, 12]], ["conv1.weight", [4, 3, 3, 3]]], /conv1\.weight is a convolution after a linear layer/);
    refuse([["conv1.weight", [8, 4, 3, 3]], ["fc.weight", [10, 8 * 4]]], /takes 4 channels, but 3 come in/);
    refuse([["conv1.weight", [8, 3, 4, 4]], ["fc.weight", [10, 8]]], /4x4 kernel: only square kernels of odd size/);
    refuse([["conv1.weight", [8, 3, 3, 3]], ["fc.weight", [10, 8 * 12]]], /takes 96 features, which is not 8 channels of a square image/);
    refuse([["fc1.weight", [20, 3 * 16]], ["fc2.weight", [10, 21]]], /fc2\.weight takes 21 features, but 20 come in/);
    refuse([["conv1.weight", [8, 3, 3, 3]], ["conv1.bias", [7]], ["fc.weight", [10, 8]]], /conv1\.bias has shape \[7\], expected \[8\]/);
    refuse([["conv1.weight", [8, 3, 3, 3]]], /no linear layer/);
    refuse([["norm.weight", [3]], ["fc.weight", [10, 3]]], /norm\.weight is 1-D/);
  });

  it("computes what the naive reference computes, 3x3 and 5x5 kernels, odd sizes dropped by pooling", () => {
    const cases: Array<{ shapes: Array<[string, number[]]>; convs: string[]; size: number }> = [
      {
        shapes: [["c1.weight", [4, 3, 3, 3]], ["c1.bias", [4]], ["c2.weight", [6, 4, 5, 5]], ["c2.bias", [6]], ["f1.weight", [7, 6 * 3 * 3]], ["f1.bias", [7]], ["f2.weight", [5, 7]], ["f2.bias", [5]]],
        convs: ["c1", "c2"],
        size: 12,
      },
      { shapes: [["f1.weight", [6, 3 * 5 * 5]], ["f1.bias", [6]], ["f2.weight", [3, 6]], ["f2.bias", [3]]], convs: [], size: 5 },
    ];
    for (const { shapes, convs, size } of cases) {
      const state = stateDict(shapes, 42);
      const network = buildSimpleCnn(state);
      assert.equal(network.inputSize, size);
      const next = random(9);
      const input = Float32Array.from({ length: 3 * size * size }, () => next() * 2);
      const expected = naiveForward(state, convs, ["f1", "f2"], input, size);
      const logits = network.forward(input);
      assert.equal(logits.length, expected.length);
      expected.forEach((value, i) => assert.ok(Math.abs(logits[i] - value) < 1e-4 * (1 + Math.abs(value)), `logit ${i}: ${logits[i]} vs ${value}`));
      assert.deepEqual(network.forward(input), logits, "buffers reused between calls do not leak state");
    }
    assert.throws(() => buildSimpleCnn(stateDict(cases[0].shapes, 1)).forward(new Float32Array(10)), /the input has 10 values, the model takes 432/);
  });
});
