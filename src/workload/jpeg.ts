/**
 * A baseline JPEG decoder to 8-bit RGB: Huffman-coded sequential DCT
 * (SOF0/SOF1, 8-bit), any sampling factors (4:4:4, 4:2:2, 4:2:0...), restart
 * intervals, greyscale, YCbCr or Adobe RGB. Chroma is upsampled by
 * replication. Progressive, arithmetic-coded, lossless, 12-bit and CMYK files
 * are refused by name.
 */
import { ImageError, MAX_PIXELS, type RgbImage } from "./rgb-image.js";
import { HuffmanTable, JpegBitReader } from "./jpeg-entropy.js";

export function isJpeg(data: Buffer): boolean {
  return data.length >= 3 && data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff;
}

/** Natural (row-major) position of the k-th coefficient in zigzag order. */
const ZIGZAG = Uint8Array.from([
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
  47, 55, 62, 63,
]);

/** IDCT basis: COSINES[x * 8 + u] = C(u)/2 · cos((2x+1)uπ/16). */
const COSINES = new Float64Array(64);
for (let x = 0; x < 8; x++) {
  for (let u = 0; u < 8; u++) COSINES[x * 8 + u] = ((u === 0 ? Math.SQRT1_2 : 1) / 2) * Math.cos(((2 * x + 1) * u * Math.PI) / 16);
}

interface Component {
  id: number;
  h: number;
  v: number;
  quantTable: number;
  blocksPerLine: number;
  blockRows: number;
  /** Decoded samples, blocksPerLine·8 wide. */
  plane: Uint8Array;
  predictor: number;
}

const UNSUPPORTED_FRAMES: Record<number, string> = {
  0xc2: "progressive JPEG is not supported (save it as baseline)",
  0xc3: "lossless JPEG is not supported",
  0xc5: "hierarchical JPEG is not supported",
  0xc6: "hierarchical JPEG is not supported",
  0xc7: "hierarchical JPEG is not supported",
  0xc9: "arithmetic-coded JPEG is not supported",
  0xca: "arithmetic-coded JPEG is not supported",
  0xcb: "arithmetic-coded JPEG is not supported",
  0xcd: "arithmetic-coded JPEG is not supported",
  0xce: "arithmetic-coded JPEG is not supported",
  0xcf: "arithmetic-coded JPEG is not supported",
};

export function decodeJpeg(data: Buffer): RgbImage {
  if (!isJpeg(data)) throw new ImageError("not a JPEG");
  const quant: Array<Int32Array | undefined> = [];
  const dcTables: Array<HuffmanTable | undefined> = [];
  const acTables: Array<HuffmanTable | undefined> = [];
  let frame: { width: number; height: number; components: Component[]; hMax: number; vMax: number; mcusX: number; mcusY: number } | undefined;
  let restartInterval = 0;
  let adobeTransform: number | undefined;
  let scans = 0;
  let pos = 2;
  for (;;) {
    while (pos < data.length && data[pos] !== 0xff) pos++;
    while (pos < data.length && data[pos] === 0xff) pos++;
    if (pos >= data.length) break;
    const marker = data[pos++];
    if (marker === 0xd9) break; // EOI
    if (marker >= 0xd0 && marker <= 0xd7) continue; // a stray RST
    if (pos + 2 > data.length) throw new ImageError("the JPEG is truncated");
    const length = data.readUInt16BE(pos);
    const segment = data.subarray(pos + 2, pos + length);
    if (length < 2 || segment.length !== length - 2) throw new ImageError("the JPEG is truncated");
    pos += length;
    if (UNSUPPORTED_FRAMES[marker]) throw new ImageError(UNSUPPORTED_FRAMES[marker]);
    switch (marker) {
      case 0xc0:
      case 0xc1:
        frame = readFrame(segment);
        break;
      case 0xc4:
        readHuffmanTables(segment, dcTables, acTables);
        break;
      case 0xdb:
        readQuantTables(segment, quant);
        break;
      case 0xdd:
        restartInterval = segment.readUInt16BE(0);
        break;
      case 0xee:
        if (segment.length >= 12 && segment.toString("latin1", 0, 5) === "Adobe") adobeTransform = segment[11];
        break;
      case 0xda: {
        if (!frame) throw new ImageError("the JPEG has a scan before its frame header");
        pos = decodeScan(data, pos, segment, frame, quant, dcTables, acTables, restartInterval);
        scans++;
        break;
      }
    }
  }
  if (!frame || scans === 0) throw new ImageError("the JPEG has no image data");
  return toRgb(frame, adobeTransform);
}

function readFrame(segment: Buffer) {
  if (segment[0] !== 8) throw new ImageError(`${segment[0]}-bit JPEG is not supported (only 8-bit)`);
  const height = segment.readUInt16BE(1);
  const width = segment.readUInt16BE(3);
  const count = segment[5];
  if (height === 0) throw new ImageError("a JPEG whose height comes after the scan (DNL) is not supported");
  if (width === 0 || width * height > MAX_PIXELS) throw new ImageError(`the JPEG is ${width}x${height}: too large or empty`);
  if (count !== 1 && count !== 3) throw new ImageError(`a JPEG with ${count} components is not supported (CMYK included): only greyscale and colour`);
  const raw = Array.from({ length: count }, (_, i) => ({ id: segment[6 + i * 3], h: segment[7 + i * 3] >> 4, v: segment[7 + i * 3] & 15, quantTable: segment[8 + i * 3] }));
  if (raw.some((c) => c.h < 1 || c.h > 4 || c.v < 1 || c.v > 4 || c.quantTable > 3)) throw new ImageError("the JPEG's sampling factors are invalid");
  const hMax = Math.max(...raw.map((c) => c.h));
  const vMax = Math.max(...raw.map((c) => c.v));
  const mcusX = Math.ceil(width / (8 * hMax));
  const mcusY = Math.ceil(height / (8 * vMax));
  const components: Component[] = raw.map((c) => {
    const blocksPerLine = mcusX * c.h;
    const blockRows = mcusY * c.v;
    return { ...c, blocksPerLine, blockRows, plane: new Uint8Array(blocksPerLine * blockRows * 64), predictor: 0 };
  });
  return { width, height, components, hMax, vMax, mcusX, mcusY };
}

function readHuffmanTables(segment: Buffer, dc: Array<HuffmanTable | undefined>, ac: Array<HuffmanTable | undefined>): void {
  for (let at = 0; at < segment.length; ) {
    const cls = segment[at] >> 4;
    const id = segment[at] & 15;
    const counts = segment.subarray(at + 1, at + 17);
    const total = counts.reduce((a, b) => a + b, 0);
    const values = segment.subarray(at + 17, at + 17 + total);
    if (counts.length !== 16 || values.length !== total || id > 3 || cls > 1) throw new ImageError("the JPEG's Huffman table is damaged");
    (cls === 0 ? dc : ac)[id] = new HuffmanTable(counts, values);
    at += 17 + total;
  }
}

function readQuantTables(segment: Buffer, quant: Array<Int32Array | undefined>): void {
  for (let at = 0; at < segment.length; ) {
    const wide = segment[at] >> 4;
    const id = segment[at] & 15;
    const table = new Int32Array(64);
    for (let k = 0; k < 64; k++) table[k] = wide ? segment.readUInt16BE(at + 1 + k * 2) : segment[at + 1 + k];
    if (id > 3 || at + 1 + 64 * (wide ? 2 : 1) > segment.length) throw new ImageError("the JPEG's quantization table is damaged");
    quant[id] = table;
    at += 1 + 64 * (wide ? 2 : 1);
  }
}

/** Decodes one scan's entropy-coded data; returns where the data after it begins. */
function decodeScan(
  data: Buffer,
  start: number,
  header: Buffer,
  frame: NonNullable<ReturnType<typeof readFrame>>,
  quant: Array<Int32Array | undefined>,
  dcTables: Array<HuffmanTable | undefined>,
  acTables: Array<HuffmanTable | undefined>,
  restartInterval: number,
): number {
  const count = header[0];
  const scan = Array.from({ length: count }, (_, i) => {
    const component = frame.components.find((c) => c.id === header[1 + i * 2]);
    const dc = dcTables[header[2 + i * 2] >> 4];
    const ac = acTables[header[2 + i * 2] & 15];
    if (!component || !dc || !ac) throw new ImageError("the JPEG's scan names a missing component or Huffman table");
    const q = quant[component.quantTable];
    if (!q) throw new ImageError("the JPEG lacks a quantization table it uses");
    component.predictor = 0;
    return { component, dc, ac, q };
  });
  const reader = new JpegBitReader(data, start);
  const coefficients = new Float64Array(64);
  const decodeBlock = (entry: (typeof scan)[number], blockRow: number, blockCol: number) => {
    const { component, dc, ac, q } = entry;
    coefficients.fill(0);
    const t = dc.decode(reader);
    component.predictor += t === 0 ? 0 : reader.receiveExtend(t);
    coefficients[0] = component.predictor * q[0];
    for (let k = 1; k < 64; ) {
      const rs = ac.decode(reader);
      const s = rs & 15;
      const r = rs >> 4;
      if (s === 0) {
        if (r !== 15) break;
        k += 16;
        continue;
      }
      k += r;
      if (k > 63) throw new ImageError("the JPEG's data is corrupt (a coefficient past the block)");
      coefficients[ZIGZAG[k]] = reader.receiveExtend(s) * q[k];
      k++;
    }
    inverseDct(coefficients, component.plane, component.blocksPerLine * 8, blockRow * 8, blockCol * 8);
  };
  // One component alone is coded block by block over its own size; several, MCU by MCU.
  const single = count === 1 ? scan[0].component : undefined;
  const unitsX = single ? Math.ceil(Math.ceil((frame.width * single.h) / frame.hMax) / 8) : frame.mcusX;
  const unitsY = single ? Math.ceil(Math.ceil((frame.height * single.v) / frame.vMax) / 8) : frame.mcusY;
  const units = unitsX * unitsY;
  for (let unit = 0; unit < units; unit++) {
    if (restartInterval && unit > 0 && unit % restartInterval === 0) {
      reader.restart();
      for (const entry of scan) entry.component.predictor = 0;
    }
    const row = Math.floor(unit / unitsX);
    const col = unit % unitsX;
    if (single) decodeBlock(scan[0], row, col);
    else {
      for (const entry of scan) {
        for (let v = 0; v < entry.component.v; v++) {
          for (let h = 0; h < entry.component.h; h++) decodeBlock(entry, row * entry.component.v + v, col * entry.component.h + h);
        }
      }
    }
  }
  return reader.position;
}

const tmp = new Float64Array(64);

function inverseDct(input: Float64Array, plane: Uint8Array, stride: number, top: number, left: number): void {
  for (let v = 0; v < 8; v++) {
    for (let x = 0; x < 8; x++) {
      let sum = 0;
      for (let u = 0; u < 8; u++) sum += COSINES[x * 8 + u] * input[v * 8 + u];
      tmp[v * 8 + x] = sum;
    }
  }
  for (let y = 0; y < 8; y++) {
    const row = (top + y) * stride + left;
    for (let x = 0; x < 8; x++) {
      let sum = 0;
      for (let v = 0; v < 8; v++) sum += COSINES[y * 8 + v] * tmp[v * 8 + x];
      const value = Math.round(sum + 128);
      plane[row + x] = value < 0 ? 0 : value > 255 ? 255 : value;
    }
  }
}

function toRgb(frame: NonNullable<ReturnType<typeof readFrame>>, adobeTransform: number | undefined): RgbImage {
  const { width, height, components, hMax, vMax } = frame;
  const out = new Uint8Array(width * height * 3);
  const sampleAt = (c: Component, x: number, y: number) =>
    c.plane[Math.floor((y * c.v) / vMax) * c.blocksPerLine * 8 + Math.floor((x * c.h) / hMax)];
  const ids = components.map((c) => c.id);
  const rgbIds = ids.join() === "82,71,66";
  const isRgb = components.length === 3 && (adobeTransform === 0 || rgbIds);
  const clamp = (n: number) => (n < 0 ? 0 : n > 255 ? 255 : Math.round(n));
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const to = (y * width + x) * 3;
      const a = sampleAt(components[0], x, y);
      if (components.length === 1) {
        out[to] = out[to + 1] = out[to + 2] = a;
        continue;
      }
      const b = sampleAt(components[1], x, y);
      const c = sampleAt(components[2], x, y);
      if (isRgb) {
        out[to] = a;
        out[to + 1] = b;
        out[to + 2] = c;
      } else {
        out[to] = clamp(a + 1.402 * (c - 128));
        out[to + 1] = clamp(a - 0.344136 * (b - 128) - 0.714136 * (c - 128));
        out[to + 2] = clamp(a + 1.772 * (b - 128));
      }
    }
  }
  return { width, height, data: out };
}
