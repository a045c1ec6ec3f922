/** JPEG entropy decoding: the bit reader over stuffed scan data, and canonical Huffman tables. */
import { ImageError } from "./rgb-image.js";

/** Reads scan bits MSB first, dropping the 0x00 after each 0xFF; at a marker it feeds zeros. */
export class JpegBitReader {
  private buffer = 0;
  private bits = 0;
  private atMarker = false;

  constructor(private readonly data: Buffer, private pos: number) {}

  /** Where the bytes after the consumed scan data begin (a marker, when the scan is whole). */
  get position(): number {
    return this.pos;
  }

  peek(n: number): number {
    while (this.bits < n) {
      let byte = 0;
      if (!this.atMarker && this.pos < this.data.length) {
        byte = this.data[this.pos];
        if (byte === 0xff) {
          if (this.data[this.pos + 1] === 0x00) this.pos += 2;
          else {
            this.atMarker = true;
            byte = 0;
          }
        } else this.pos++;
      }
      this.buffer = ((this.buffer << 8) | byte) >>> 0;
      this.bits += 8;
    }
    return (this.buffer >>> (this.bits - n)) & ((1 << n) - 1);
  }

  skip(n: number): void {
    this.bits -= n;
  }

  read(n: number): number {
    const value = this.peek(n);
    this.bits -= n;
    return value;
  }

  /** Reads `size` bits and extends them to the signed value they code (JPEG's EXTEND). */
  receiveExtend(size: number): number {
    const value = this.read(size);
    return value < 1 << (size - 1) ? value - (1 << size) + 1 : value;
  }

  /** At a restart interval: drop the partial byte and step over the RSTn marker. */
  restart(): void {
    this.bits = 0;
    this.buffer = 0;
    this.atMarker = false;
    while (this.pos + 1 < this.data.length && !(this.data[this.pos] === 0xff && this.data[this.pos + 1] >= 0xd0 && this.data[this.pos + 1] <= 0xd7)) this.pos++;
    if (this.pos + 1 >= this.data.length) throw new ImageError("the JPEG's data is corrupt (a restart marker is missing)");
    this.pos += 2;
  }
}

const FAST_BITS = 9;

/** A canonical Huffman table (counts per code length 1..16, then the values): codes up to 9 bits by lookup, longer ones by length. */
export class HuffmanTable {
  /** (length << 8) | value for each 9-bit prefix whose code is at most 9 bits; 0 otherwise. */
  private readonly fast = new Uint16Array(1 << FAST_BITS);
  private readonly maxCode = new Int32Array(17).fill(-1);
  private readonly firstCode = new Int32Array(17);
  private readonly firstIndex = new Int32Array(17);
  private readonly values: Uint8Array;

  constructor(counts: Uint8Array, values: Uint8Array) {
    this.values = Uint8Array.from(values);
    let code = 0;
    let index = 0;
    for (let length = 1; length <= 16; length++) {
      const count = counts[length - 1];
      this.firstCode[length] = code;
      this.firstIndex[length] = index;
      for (let i = 0; i < count; i++, code++, index++) {
        if (length <= FAST_BITS) {
          const shift = FAST_BITS - length;
          this.fast.fill((length << 8) | values[index], code << shift, (code + 1) << shift);
        }
      }
      if (count) this.maxCode[length] = code - 1;
      if (code > 1 << length) throw new ImageError("the JPEG's Huffman table is damaged (too many codes)");
      code <<= 1;
    }
  }

  decode(reader: JpegBitReader): number {
    const entry = this.fast[reader.peek(FAST_BITS)];
    if (entry) {
      reader.skip(entry >> 8);
      return entry & 0xff;
    }
    for (let length = FAST_BITS + 1; length <= 16; length++) {
      const code = reader.peek(length);
      if (code <= this.maxCode[length]) {
        reader.skip(length);
        return this.values[this.firstIndex[length] + code - this.firstCode[length]];
      }
    }
    throw new ImageError("the JPEG's data is corrupt (no Huffman code matches)");
  }
}
