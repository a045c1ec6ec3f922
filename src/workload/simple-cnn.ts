/**
 * The exercise's SimpleCNN family, read off a state_dict: each 4-D `*.weight`
 * (in key order) is a stride-1 convolution padded to keep its size, followed
 * by ReLU and a 2x2 max-pool; then each 2-D `*.weight` is a linear layer, with
 * ReLU between them. The forward pass runs on Float32Arrays, NCHW, batch 1.
 */
import type { StateDict, Tensor } from "./torch-file.js";

export interface ConvLayer {
  name: string;
  inChannels: number;
  outChannels: number;
  kernel: number;
  weight: Float32Array;
  bias: Float32Array | undefined;
}

export interface LinearLayer {
  name: string;
  inFeatures: number;
  outFeatures: number;
  weight: Float32Array;
  bias: Float32Array | undefined;
}

/** The image channels the first layer takes (RGB). */
export const INPUT_CHANNELS = 3;

export class SimpleCnn {
  /** Input height and width (square). */
  readonly inputSize: number;
  readonly outputs: number;
  /** Per conv layer: its zero-padded input and its output before pooling. */
  private readonly padded: Float32Array[];
  private readonly convOut: Float32Array[];
  private readonly features: Float32Array;
  private readonly hidden: Float32Array[];

  constructor(readonly convs: ConvLayer[], readonly linears: LinearLayer[]) {
    const channels = convs.length ? convs[convs.length - 1].outChannels : INPUT_CHANNELS;
    const side = Math.round(Math.sqrt(linears[0].inFeatures / channels));
    this.inputSize = side * 2 ** convs.length;
    this.outputs = linears[linears.length - 1].outFeatures;
    let size = this.inputSize;
    this.padded = [];
    this.convOut = [];
    for (const conv of convs) {
      const side = size + 2 * (conv.kernel >> 1);
      this.padded.push(new Float32Array(conv.inChannels * side * side));
      this.convOut.push(new Float32Array(conv.outChannels * size * size));
      size >>= 1;
    }
    this.features = new Float32Array(linears[0].inFeatures);
    this.hidden = linears.map((layer) => new Float32Array(layer.outFeatures));
  }

  /** One line: the layers and the input size. */
  describe(): string {
    const layers = [
      ...this.convs.map((c) => `${c.name} conv ${c.inChannels}→${c.outChannels} ${c.kernel}x${c.kernel}`),
      ...this.linears.map((l) => `${l.name} linear ${l.inFeatures}→${l.outFeatures}`),
    ];
    return `${layers.join(", ")}; input ${INPUT_CHANNELS}x${this.inputSize}x${this.inputSize}`;
  }

  /** The logits for one image: `input` is C×H×W, H = W = inputSize. */
  forward(input: Float32Array): Float32Array {
    const expected = INPUT_CHANNELS * this.inputSize * this.inputSize;
    if (input.length !== expected) throw new Error(`the input has ${input.length} values, the model takes ${expected}`);
    let size = this.inputSize;
    if (this.convs.length) copyIntoPadded(input, INPUT_CHANNELS, size, this.convs[0].kernel >> 1, this.padded[0]);
    for (let i = 0; i < this.convs.length; i++) {
      const conv = this.convs[i];
      convolve(conv, this.padded[i], size, this.convOut[i]);
      const next = i + 1 < this.convs.length ? this.padded[i + 1] : this.features;
      const pad = i + 1 < this.convs.length ? this.convs[i + 1].kernel >> 1 : 0;
      reluMaxPool(this.convOut[i], conv.outChannels, size, next, pad);
      size >>= 1;
    }
    let x = this.convs.length ? this.features : input;
    this.linears.forEach((layer, i) => {
      linear(layer, x, this.hidden[i], i + 1 < this.linears.length);
      x = this.hidden[i];
    });
    return Float32Array.from(x);
  }
}

function copyIntoPadded(input: Float32Array, channels: number, size: number, pad: number, out: Float32Array): void {
  const side = size + 2 * pad;
  for (let c = 0; c < channels; c++) {
    for (let y = 0; y < size; y++) {
      out.set(input.subarray((c * size + y) * size, (c * size + y + 1) * size), (c * side + y + pad) * side + pad);
    }
  }
}

/** A stride-1 "same" convolution: each (out, in) channel pair adds its kernel's shifted rows. */
function convolve(conv: ConvLayer, input: Float32Array, size: number, out: Float32Array): void {
  const k = conv.kernel;
  const side = size + 2 * (k >> 1);
  const area = size * size;
  const inArea = side * side;
  const w = conv.weight;
  for (let oc = 0; oc < conv.outChannels; oc++) {
    const plane = out.subarray(oc * area, (oc + 1) * area);
    plane.fill(conv.bias ? conv.bias[oc] : 0);
    for (let ic = 0; ic < conv.inChannels; ic++) {
      const wBase = (oc * conv.inChannels + ic) * k * k;
      const inBase = ic * inArea;
      if (k === 3) convolve3x3(w, wBase, input, inBase, side, plane, size);
      else {
        for (let ky = 0; ky < k; ky++) {
          for (let kx = 0; kx < k; kx++) {
            const weight = w[wBase + ky * k + kx];
            for (let y = 0; y < size; y++) {
              const from = inBase + (y + ky) * side + kx;
              const to = y * size;
              for (let x = 0; x < size; x++) plane[to + x] += weight * input[from + x];
            }
          }
        }
      }
    }
  }
}

/** The 3x3 case unrolled: nine weights in locals, each output read and written once per input channel. */
function convolve3x3(w: Float32Array, wBase: number, input: Float32Array, inBase: number, side: number, plane: Float32Array, size: number): void {
  const w00 = w[wBase], w01 = w[wBase + 1], w02 = w[wBase + 2];
  const w10 = w[wBase + 3], w11 = w[wBase + 4], w12 = w[wBase + 5];
  const w20 = w[wBase + 6], w21 = w[wBase + 7], w22 = w[wBase + 8];
  for (let y = 0; y < size; y++) {
    const r0 = inBase + y * side;
    const r1 = r0 + side;
    const r2 = r1 + side;
    const to = y * size;
    for (let x = 0; x < size; x++) {
      plane[to + x] +=
        w00 * input[r0 + x] + w01 * input[r0 + x + 1] + w02 * input[r0 + x + 2] +
        w10 * input[r1 + x] + w11 * input[r1 + x + 1] + w12 * input[r1 + x + 2] +
        w20 * input[r2 + x] + w21 * input[r2 + x + 1] + w22 * input[r2 + x + 2];
    }
  }
}

/** ReLU then a 2x2 max-pool (stride 2, odd edges dropped as torch does), written into `out` with `pad` zeros around. */
function reluMaxPool(input: Float32Array, channels: number, size: number, out: Float32Array, pad: number): void {
  const half = size >> 1;
  const side = half + 2 * pad;
  for (let c = 0; c < channels; c++) {
    const inBase = c * size * size;
    for (let y = 0; y < half; y++) {
      const a = inBase + 2 * y * size;
      const b = a + size;
      const to = (c * side + y + pad) * side + pad;
      for (let x = 0; x < half; x++) {
        const m = Math.max(input[a + 2 * x], input[a + 2 * x + 1], input[b + 2 * x], input[b + 2 * x + 1]);
        out[to + x] = m > 0 ? m : 0;
      }
    }
  }
}

function linear(layer: LinearLayer, x: Float32Array, out: Float32Array, relu: boolean): void {
  const n = layer.inFeatures;
  const w = layer.weight;
  for (let o = 0; o < layer.outFeatures; o++) {
    let sum0 = 0, sum1 = 0, sum2 = 0, sum3 = 0;
    const base = o * n;
    let i = 0;
    for (; i + 3 < n; i += 4) {
      sum0 += w[base + i] * x[i];
      sum1 += w[base + i + 1] * x[i + 1];
      sum2 += w[base + i + 2] * x[i + 2];
      sum3 += w[base + i + 3] * x[i + 3];
    }
    for (; i < n; i++) sum0 += w[base + i] * x[i];
    const value = sum0 + sum1 + sum2 + sum3 + (layer.bias ? layer.bias[o] : 0);
    out[o] = relu && value < 0 ? 0 : value;
  }
}

/** Builds the network a state_dict describes, or says why it does not fit the family. */
export function buildSimpleCnn(state: StateDict): SimpleCnn {
  const layers: Array<{ name: string; weight: Tensor; bias?: Tensor }> = [];
  for (const [key, tensor] of state) {
    const dot = key.lastIndexOf(".");
    const name = key.slice(0, dot);
    const param = key.slice(dot + 1);
    if (param === "weight") {
      layers.push({ name, weight: tensor, bias: state.get(`${name}.bias`) });
    } else if (param === "bias") {
      if (!state.has(`${name}.weight`)) throw new Error(`${key} has no ${name}.weight beside it`);
    } else {
      throw new Error(`${key}: only convolution and linear layers (weight and bias) are supported`);
    }
  }
  const convs: ConvLayer[] = [];
  const linears: LinearLayer[] = [];
  let channels = INPUT_CHANNELS;
  for (const { name, weight, bias } of layers) {
    const shape = weight.shape;
    if (shape.length === 4) {
      if (linears.length) throw new Error(`${name}.weight is a convolution after a linear layer: the convolutions must come first`);
      const [out, inChannels, kh, kw] = shape;
      if (kh !== kw || kh % 2 === 0) throw new Error(`${name}.weight has a ${kh}x${kw} kernel: only square kernels of odd size are supported`);
      if (inChannels !== channels) throw new Error(`${name}.weight takes ${inChannels} channels, but ${channels} come in`);
      convs.push({ name, inChannels, outChannels: out, kernel: kh, weight: weight.data, bias: checkBias(name, bias, out) });
      channels = out;
    } else if (shape.length === 2) {
      const [out, inFeatures] = shape;
      if (linears.length === 0) {
        const side = Math.round(Math.sqrt(inFeatures / channels));
        if (side < 1 || side * side * channels !== inFeatures) {
          throw new Error(`${name}.weight takes ${inFeatures} features, which is not ${channels} channels of a square image`);
        }
      } else if (inFeatures !== linears[linears.length - 1].outFeatures) {
        throw new Error(`${name}.weight takes ${inFeatures} features, but ${linears[linears.length - 1].outFeatures} come in`);
      }
      linears.push({ name, inFeatures, outFeatures: out, weight: weight.data, bias: checkBias(name, bias, out) });
    } else {
      throw new Error(`${name}.weight is ${shape.length}-D: only convolutions (4-D) and linear layers (2-D) are supported`);
    }
  }
  if (linears.length === 0) throw new Error("the state_dict has no linear layer to classify with");
  return new SimpleCnn(convs, linears);
}

function checkBias(name: string, bias: Tensor | undefined, outputs: number): Float32Array | undefined {
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== outputs)) {
    throw new Error(`${name}.bias has shape [${bias.shape}], expected [${outputs}]`);
  }
  return bias?.data;
}
