/** Test support: a PNG encoder for every colour type and bit depth, Adam7 optional, cycling through the five row filters. */
import zlib from "node:zlib";

export interface PngInput {
  width: number;
  height: number;
  /** Samples per pixel as the colour type has them (palette: indices), row-major, in 0..2^depth-1. */
  samples: ArrayLike<number>;
  colourType: 0 | 2 | 3 | 4 | 6;
  depth: 1 | 2 | 4 | 8 | 16;
  palette?: Array<[number, number, number]>;
  interlaced?: boolean;
}

const CHANNELS = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as const;
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
];

function chunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, "latin1");
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export function encodePng(input: PngInput): Buffer {
  const { width, height, colourType, depth } = input;
  const channels = CHANNELS[colourType];
  const bitsPerPixel = channels * depth;
  const bpp = Math.max(1, bitsPerPixel >> 3);
  const passes = input.interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const rows: Buffer[] = [];
  let rowIndex = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    if (w <= 0 || h <= 0) continue;
    const stride = Math.ceil((w * bitsPerPixel) / 8);
    let previous = Buffer.alloc(stride);
    for (let r = 0; r < h; r++) {
      const raw = Buffer.alloc(stride);
      for (let c = 0; c < w; c++) {
        const pixel = (y0 + r * dy) * width + x0 + c * dx;
        for (let ch = 0; ch < channels; ch++) {
          const value = input.samples[pixel * channels + ch];
          const index = c * channels + ch;
          if (depth === 16) raw.writeUInt16BE(value, index * 2);
          else if (depth === 8) raw[index] = value;
          else {
            const bit = index * depth;
            raw[bit >> 3] |= value << (8 - depth - (bit & 7));
          }
        }
      }
      const filter = rowIndex++ % 5;
      const out = Buffer.alloc(stride + 1);
      out[0] = filter;
      for (let i = 0; i < stride; i++) {
        const left = i >= bpp ? raw[i - bpp] : 0;
        const up = previous[i];
        const upLeft = i >= bpp ? previous[i - bpp] : 0;
        const predictor = [0, left, up, (left + up) >> 1, paeth(left, up, upLeft)][filter];
        out[i + 1] = (raw[i] - predictor) & 0xff;
      }
      rows.push(out);
      previous = raw;
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = depth;
  header[9] = colourType;
  header[12] = input.interlaced ? 1 : 0;
  const compressed = zlib.deflateSync(Buffer.concat(rows));
  // Two IDAT chunks: the decoder must join them.
  const half = compressed.length >> 1;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    ...(input.palette ? [chunk("PLTE", Buffer.from(input.palette.flat()))] : []),
    chunk("IDAT", compressed.subarray(0, half)),
    chunk("IDAT", compressed.subarray(half)),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** An 8-bit RGB PNG of interleaved pixels. */
export function rgbPng(width: number, height: number, rgb: Uint8Array): Buffer {
  return encodePng({ width, height, samples: rgb, colourType: 2, depth: 8 });
}
