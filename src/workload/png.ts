/**
 * A PNG decoder to 8-bit RGB: every colour type (grey, RGB, palette, grey+alpha,
 * RGBA) and bit depth (1 to 16), Adam7 interlacing; alpha is dropped, as
 * PIL's convert("RGB") does.
 */
import zlib from "node:zlib";
import { ImageError, MAX_PIXELS, type RgbImage } from "./rgb-image.js";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function isPng(data: Buffer): boolean {
  return data.length >= 8 && data.subarray(0, 8).equals(SIGNATURE);
}

/** Channels per colour type, and the bit depths each allows. */
const COLOUR_TYPES: Record<number, { channels: number; depths: number[] }> = {
  0: { channels: 1, depths: [1, 2, 4, 8, 16] },
  2: { channels: 3, depths: [8, 16] },
  3: { channels: 1, depths: [1, 2, 4, 8] },
  4: { channels: 2, depths: [8, 16] },
  6: { channels: 4, depths: [8, 16] },
};

/** Adam7's passes: first column, first row, column step, row step. */
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
];

export function decodePng(data: Buffer): RgbImage {
  if (!isPng(data)) throw new ImageError("not a PNG");
  let pos = 8;
  let header: { width: number; height: number; depth: number; colourType: number; interlaced: boolean } | undefined;
  let palette: Buffer | undefined;
  const idat: Buffer[] = [];
  while (pos + 8 <= data.length) {
    const length = data.readUInt32BE(pos);
    const type = data.toString("latin1", pos + 4, pos + 8);
    const body = data.subarray(pos + 8, pos + 8 + length);
    if (body.length !== length) throw new ImageError(`the PNG is truncated in its ${type} chunk`);
    pos += 12 + length;
    if (type === "IHDR") {
      if (length < 13) throw new ImageError("the PNG's IHDR is too short");
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        depth: body[8],
        colourType: body[9],
        interlaced: body[12] === 1,
      };
      if (body[10] !== 0 || body[11] !== 0 || body[12] > 1) throw new ImageError("the PNG uses an unknown compression, filter or interlace method");
    } else if (type === "PLTE") palette = body;
    else if (type === "IDAT") idat.push(body);
    else if (type === "IEND") break;
  }
  if (!header) throw new ImageError("the PNG has no IHDR");
  const { width, height, depth, colourType, interlaced } = header;
  const colour = COLOUR_TYPES[colourType];
  if (!colour || !colour.depths.includes(depth)) throw new ImageError(`the PNG's colour type ${colourType} with bit depth ${depth} is not valid`);
  if (width === 0 || height === 0 || width * height > MAX_PIXELS) throw new ImageError(`the PNG is ${width}x${height}: too large or empty`);
  if (colourType === 3 && !palette) throw new ImageError("the palette PNG has no PLTE");
  if (idat.length === 0) throw new ImageError("the PNG has no image data");

  const bitsPerPixel = colour.channels * depth;
  const passes = interlaced ? ADAM7 : [[0, 0, 1, 1]];
  const rowBytes = (w: number) => Math.ceil((w * bitsPerPixel) / 8);
  let expected = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    if (w > 0 && h > 0) expected += h * (1 + rowBytes(w));
  }
  let raw: Buffer;
  try {
    raw = zlib.inflateSync(Buffer.concat(idat), { maxOutputLength: expected + 1024 });
  } catch (error) {
    throw new ImageError(`the PNG's image data does not inflate (${(error as Error).message})`);
  }
  if (raw.length < expected) throw new ImageError("the PNG's image data is truncated");

  const out = new Uint8Array(width * height * 3);
  const sample = sampleReader(depth);
  const bytesPerPixel = Math.max(1, bitsPerPixel >> 3);
  let offset = 0;
  for (const [x0, y0, dx, dy] of passes) {
    const w = Math.ceil((width - x0) / dx);
    const h = Math.ceil((height - y0) / dy);
    if (w <= 0 || h <= 0) continue;
    const stride = rowBytes(w);
    unfilter(raw, offset, h, stride, bytesPerPixel);
    for (let row = 0; row < h; row++) {
      const line = offset + row * (stride + 1) + 1;
      for (let col = 0; col < w; col++) {
        const to = ((y0 + row * dy) * width + x0 + col * dx) * 3;
        const first = col * colour.channels;
        if (colourType === 3) {
          const index = sample(raw, line, first, false);
          if (index * 3 + 2 >= palette!.length) throw new ImageError("the PNG names a colour its palette lacks");
          out[to] = palette![index * 3];
          out[to + 1] = palette![index * 3 + 1];
          out[to + 2] = palette![index * 3 + 2];
        } else if (colour.channels >= 3) {
          out[to] = sample(raw, line, first, true);
          out[to + 1] = sample(raw, line, first + 1, true);
          out[to + 2] = sample(raw, line, first + 2, true);
        } else {
          out[to] = out[to + 1] = out[to + 2] = sample(raw, line, first, true);
        }
      }
    }
    offset += h * (stride + 1);
  }
  return { width, height, data: out };
}

/** Reads sample `index` of a scanline, scaled to 0..255 (or raw, for palette indices). */
function sampleReader(depth: number): (raw: Buffer, line: number, index: number, scale: boolean) => number {
  if (depth === 8) return (raw, line, index) => raw[line + index];
  if (depth === 16) return (raw, line, index) => Math.round(raw.readUInt16BE(line + index * 2) / 257);
  const max = (1 << depth) - 1;
  return (raw, line, index, scale) => {
    const bit = index * depth;
    const value = (raw[line + (bit >> 3)] >> (8 - depth - (bit & 7))) & max;
    return scale ? Math.round((value * 255) / max) : value;
  };
}

/** Undoes the per-scanline filters in place (None, Sub, Up, Average, Paeth). */
function unfilter(raw: Buffer, offset: number, rows: number, stride: number, bpp: number): void {
  for (let row = 0; row < rows; row++) {
    const start = offset + row * (stride + 1);
    const filter = raw[start];
    const line = start + 1;
    const previous = row > 0 ? line - stride - 1 : -1;
    for (let i = 0; i < stride; i++) {
      const left = i >= bpp ? raw[line + i - bpp] : 0;
      const up = previous >= 0 ? raw[previous + i] : 0;
      const upLeft = previous >= 0 && i >= bpp ? raw[previous + i - bpp] : 0;
      let add: number;
      switch (filter) {
        case 0:
          add = 0;
          break;
        case 1:
          add = left;
          break;
        case 2:
          add = up;
          break;
        case 3:
          add = (left + up) >> 1;
          break;
        case 4: {
          const p = left + up - upLeft;
          const pa = Math.abs(p - left);
          const pb = Math.abs(p - up);
          const pc = Math.abs(p - upLeft);
          add = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
          break;
        }
        default:
          throw new ImageError(`the PNG uses an unknown filter type ${filter}`);
      }
      raw[line + i] = (raw[line + i] + add) & 0xff;
    }
  }
}
