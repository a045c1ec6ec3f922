/**
 * Test support: a baseline JPEG encoder (JFIF YCbCr or greyscale; 4:4:4,
 * 4:2:2 or 4:2:0; restart intervals optional), with fine quantization and
 * Huffman tables of several code lengths (4 to 13 bits), so that the decoder
 * meets both its table lookup and its long codes.
 */

const ZIGZAG = [
  0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20, 13, 6, 7, 14, 21,
  28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59, 52, 45, 38, 31, 39, 46, 53, 60, 61, 54,
  47, 55, 62, 63,
];

interface Table {
  counts: number[];
  symbols: number[];
  codes: Map<number, { code: number; length: number }>;
}

function table(lengths: Array<[count: number, length: number]>, symbols: number[]): Table {
  const counts = new Array(16).fill(0);
  for (const [count, length] of lengths) counts[length - 1] += count;
  const codes = new Map<number, { code: number; length: number }>();
  let code = 0;
  let k = 0;
  for (let length = 1; length <= 16; length++) {
    for (let i = 0; i < counts[length - 1]; i++) codes.set(symbols[k++], { code: code++, length });
    code <<= 1;
  }
  return { counts, symbols, codes };
}

const AC_SYMBOLS = [0x01, 0x02, 0x00, 0x03, 0x11, 0x04, 0x21, 0x05];
for (let run = 0; run < 16; run++) {
  for (let size = 1; size <= 10; size++) if (!AC_SYMBOLS.includes((run << 4) | size)) AC_SYMBOLS.push((run << 4) | size);
}
AC_SYMBOLS.push(0xf0);

/** JPEG's own luminance DC table (lengths 2 to 9). */
const DC = table([[1, 2], [5, 3], [1, 4], [1, 5], [1, 6], [1, 7], [1, 8], [1, 9]], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
const AC_LUMA = table([[8, 4], [60, 8], [94, 12]], AC_SYMBOLS);
const AC_CHROMA = table([[4, 3], [60, 8], [98, 13]], AC_SYMBOLS);

const QUANT_LUMA = Array.from({ length: 64 }, (_, k) => 2 + (k >> 4));
const QUANT_CHROMA = Array.from({ length: 64 }, (_, k) => 3 + (k >> 4));

class BitWriter {
  readonly bytes: number[] = [];
  private buffer = 0;
  private bits = 0;
  write(value: number, length: number): void {
    for (let i = length - 1; i >= 0; i--) {
      this.buffer = (this.buffer << 1) | ((value >> i) & 1);
      if (++this.bits === 8) {
        this.bytes.push(this.buffer);
        if (this.buffer === 0xff) this.bytes.push(0x00);
        this.buffer = 0;
        this.bits = 0;
      }
    }
  }
  /** Pads the last byte with 1-bits. */
  flush(): void {
    while (this.bits) this.write(1, 1);
  }
}

const COS_TABLE = Array.from({ length: 64 }, (_, i) => Math.cos(((2 * (i >> 3) + 1) * (i & 7) * Math.PI) / 16));
const COS = (x: number, u: number) => COS_TABLE[x * 8 + u];

function forwardDct(block: number[]): number[] {
  const out = new Array(64).fill(0);
  for (let v = 0; v < 8; v++) {
    for (let u = 0; u < 8; u++) {
      let sum = 0;
      for (let y = 0; y < 8; y++) for (let x = 0; x < 8; x++) sum += (block[y * 8 + x] - 128) * COS(x, u) * COS(y, v);
      out[v * 8 + u] = 0.25 * (u ? 1 : Math.SQRT1_2) * (v ? 1 : Math.SQRT1_2) * sum;
    }
  }
  return out;
}

function category(value: number): number {
  let n = Math.abs(value);
  let bits = 0;
  while (n) {
    bits++;
    n >>= 1;
  }
  return bits;
}

function encodeValue(writer: BitWriter, value: number, size: number): void {
  if (size) writer.write(value > 0 ? value : value + (1 << size) - 1, size);
}

export interface JpegOptions {
  sampling?: "444" | "422" | "420";
  grey?: boolean;
  restartInterval?: number;
}

/** Encodes interleaved 8-bit RGB. */
export function encodeJpeg(rgb: Uint8Array, width: number, height: number, options: JpegOptions = {}): Buffer {
  const grey = options.grey ?? false;
  const [hY, vY] = grey ? [1, 1] : ({ "444": [1, 1], "422": [2, 1], "420": [2, 2] } as const)[options.sampling ?? "444"];
  const mcusX = Math.ceil(width / (8 * hY));
  const mcusY = Math.ceil(height / (8 * vY));
  const pixel = (x: number, y: number, c: number) => rgb[(Math.min(y, height - 1) * width + Math.min(x, width - 1)) * 3 + c];
  const luma = (x: number, y: number) => 0.299 * pixel(x, y, 0) + 0.587 * pixel(x, y, 1) + 0.114 * pixel(x, y, 2);
  const cb = (x: number, y: number) => -0.168736 * pixel(x, y, 0) - 0.331264 * pixel(x, y, 1) + 0.5 * pixel(x, y, 2) + 128;
  const cr = (x: number, y: number) => 0.5 * pixel(x, y, 0) - 0.418688 * pixel(x, y, 1) - 0.081312 * pixel(x, y, 2) + 128;
  /** A chroma sample: the mean of the hY×vY luma-resolution pixels it covers. */
  const sub = (f: (x: number, y: number) => number) => (x: number, y: number) => {
    let sum = 0;
    for (let dy = 0; dy < vY; dy++) for (let dx = 0; dx < hY; dx++) sum += f(x * hY + dx, y * vY + dy);
    return sum / (hY * vY);
  };
  const components = grey
    ? [{ id: 1, h: 1, v: 1, sample: luma, q: QUANT_LUMA, ac: AC_LUMA, tables: 0x00, quantId: 0 }]
    : [
        { id: 1, h: hY, v: vY, sample: luma, q: QUANT_LUMA, ac: AC_LUMA, tables: 0x00, quantId: 0 },
        { id: 2, h: 1, v: 1, sample: sub(cb), q: QUANT_CHROMA, ac: AC_CHROMA, tables: 0x11, quantId: 1 },
        { id: 3, h: 1, v: 1, sample: sub(cr), q: QUANT_CHROMA, ac: AC_CHROMA, tables: 0x11, quantId: 1 },
      ];
  const writer = new BitWriter();
  const predictors = components.map(() => 0);
  const encodeBlock = (index: number, bx: number, by: number) => {
    const c = components[index];
    const block = Array.from({ length: 64 }, (_, i) => c.sample(bx * 8 + (i & 7), by * 8 + (i >> 3)));
    const coefficients = forwardDct(block);
    const zz = ZIGZAG.map((natural, k) => Math.round(coefficients[natural] / c.q[k]));
    const diff = zz[0] - predictors[index];
    predictors[index] = zz[0];
    const dcSize = category(diff);
    const dcCode = DC.codes.get(dcSize)!;
    writer.write(dcCode.code, dcCode.length);
    encodeValue(writer, diff, dcSize);
    let run = 0;
    for (let k = 1; k < 64; k++) {
      if (zz[k] === 0) {
        run++;
        continue;
      }
      while (run > 15) {
        const zrl = c.ac.codes.get(0xf0)!;
        writer.write(zrl.code, zrl.length);
        run -= 16;
      }
      const size = category(zz[k]);
      const code = c.ac.codes.get((run << 4) | size)!;
      writer.write(code.code, code.length);
      encodeValue(writer, zz[k], size);
      run = 0;
    }
    if (run) {
      const eob = c.ac.codes.get(0x00)!;
      writer.write(eob.code, eob.length);
    }
  };
  const total = mcusX * mcusY;
  for (let mcu = 0; mcu < total; mcu++) {
    if (options.restartInterval && mcu > 0 && mcu % options.restartInterval === 0) {
      writer.flush();
      writer.bytes.push(0xff, 0xd0 + ((mcu / options.restartInterval - 1) % 8));
      predictors.fill(0);
    }
    const mx = mcu % mcusX;
    const my = Math.floor(mcu / mcusX);
    components.forEach((c, index) => {
      for (let v = 0; v < c.v; v++) for (let h = 0; h < c.h; h++) encodeBlock(index, mx * c.h + h, my * c.v + v);
    });
  }
  writer.flush();

  const segment = (marker: number, body: number[]) => [0xff, marker, (body.length + 2) >> 8, (body.length + 2) & 0xff, ...body];
  const dht = (cls: number, id: number, t: Table) => segment(0xc4, [(cls << 4) | id, ...t.counts, ...t.symbols]);
  const bytes = [
    0xff, 0xd8,
    ...segment(0xe0, [0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0]),
    ...segment(0xdb, [0x00, ...QUANT_LUMA, 0x01, ...QUANT_CHROMA]),
    ...segment(0xc0, [8, height >> 8, height & 0xff, width >> 8, width & 0xff, components.length, ...components.flatMap((c) => [c.id, (c.h << 4) | c.v, c.quantId])]),
    ...dht(0, 0, DC), ...dht(1, 0, AC_LUMA), ...dht(0, 1, DC), ...dht(1, 1, AC_CHROMA),
    ...(options.restartInterval ? segment(0xdd, [options.restartInterval >> 8, options.restartInterval & 0xff]) : []),
    ...segment(0xda, [components.length, ...components.flatMap((c) => [c.id, c.tables]), 0, 63, 0]),
  ];
  return Buffer.concat([Buffer.from(bytes), Buffer.from(writer.bytes), Buffer.from([0xff, 0xd9])]);
}
