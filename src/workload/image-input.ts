/**
 * From uploaded bytes to the model's input: decode (PNG, JPEG, PPM/PGM),
 * resize to the model's size with a bilinear (triangle) filter, scale to
 * [0, 1] and normalize per channel, laid out C×H×W.
 */
import { decodeJpeg, isJpeg } from "./jpeg.js";
import { decodePng, isPng } from "./png.js";
import { decodePnm, isPnm } from "./pnm.js";
import { ImageError, type RgbImage } from "./rgb-image.js";

export type Normalization = "imagenet" | "none";

const IMAGENET_MEAN = [0.485, 0.456, 0.406];
const IMAGENET_STD = [0.229, 0.224, 0.225];

export function decodeImage(data: Buffer): RgbImage {
  if (data.length === 0) throw new ImageError("the image is empty");
  if (isPng(data)) return decodePng(data);
  if (isJpeg(data)) return decodeJpeg(data);
  if (isPnm(data)) return decodePnm(data);
  throw new ImageError("not an image this server reads (PNG, baseline JPEG, binary PPM/PGM)");
}

/** The C×H×W float input for a square model of `size`. */
export function toModelInput(image: RgbImage, size: number, normalization: Normalization): Float32Array {
  const pixels = image.width === size && image.height === size ? Float32Array.from(image.data) : resize(image, size, size);
  const area = size * size;
  const out = new Float32Array(3 * area);
  for (let c = 0; c < 3; c++) {
    const mean = normalization === "imagenet" ? IMAGENET_MEAN[c] : 0;
    const std = normalization === "imagenet" ? IMAGENET_STD[c] : 1;
    for (let i = 0; i < area; i++) out[c * area + i] = (pixels[i * 3 + c] / 255 - mean) / std;
  }
  return out;
}

/** Per output position along one axis: the first input index and the weights of those after it. */
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  /** `taps` weights per output position. */
  weights: Float32Array;
  taps: number;
}

/** Triangle-filter weights: plain bilinear when enlarging, widened to the scale when shrinking so every input pixel counts. */
function axisWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const radius = Math.max(1, scale);
  const taps = Math.ceil(2 * radius) + 2;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float32Array(outSize * taps);
  for (let o = 0; o < outSize; o++) {
    const center = (o + 0.5) * scale;
    // The input pixels whose centres (i + 0.5) lie strictly within the radius.
    const first = Math.max(0, Math.floor(center - radius - 0.5) + 1);
    const last = Math.min(inSize - 1, Math.ceil(center + radius - 0.5) - 1);
    let total = 0;
    let n = 0;
    for (let i = first; i <= last && n < taps; i++, n++) {
      const w = Math.max(0, 1 - Math.abs((i + 0.5 - center) / radius));
      weights[o * taps + n] = w;
      total += w;
    }
    for (let j = 0; j < n; j++) weights[o * taps + j] = total > 0 ? weights[o * taps + j] / total : 1 / n;
    start[o] = first;
    count[o] = n;
  }
  return { start, count, weights, taps };
}

/** Resizes to width × height; the result is interleaved RGB floats in 0..255. */
export function resize(image: RgbImage, width: number, height: number): Float32Array {
  const xs = axisWeights(image.width, width);
  const ys = axisWeights(image.height, height);
  const rows = new Float32Array(image.height * width * 3);
  for (let y = 0; y < image.height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < xs.count[x]; j++) {
        const w = xs.weights[x * xs.taps + j];
        const from = (y * image.width + xs.start[x] + j) * 3;
        r += w * image.data[from];
        g += w * image.data[from + 1];
        b += w * image.data[from + 2];
      }
      const to = (y * width + x) * 3;
      rows[to] = r;
      rows[to + 1] = g;
      rows[to + 2] = b;
    }
  }
  const out = new Float32Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let r = 0, g = 0, b = 0;
      for (let j = 0; j < ys.count[y]; j++) {
        const w = ys.weights[y * ys.taps + j];
        const from = ((ys.start[y] + j) * width + x) * 3;
        r += w * rows[from];
        g += w * rows[from + 1];
        b += w * rows[from + 2];
      }
      const to = (y * width + x) * 3;
      out[to] = r;
      out[to + 1] = g;
      out[to + 2] = b;
    }
  }
  return out;
}
