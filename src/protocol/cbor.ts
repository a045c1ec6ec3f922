/**
 * CBOR (RFC 8949) as smithy-rpc-v2-cbor uses it: maps with text keys, byte
 * strings for blobs, tag 1 (epoch seconds) for timestamps. Decoding is
 * bounds-checked and accepts indefinite lengths; encoding uses definite ones.
 */
export class CborError extends Error {}

const textDecoder = new TextDecoder("utf-8", { fatal: true });

export function decodeCbor(bytes: Uint8Array): unknown {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;

  const need = (n: number) => {
    if (pos + n > bytes.length) throw new CborError("unexpected end of CBOR data");
  };

  const readArgument = (info: number): number | bigint => {
    if (info < 24) return info;
    switch (info) {
      case 24:
        need(1);
        return bytes[pos++];
      case 25:
        need(2);
        pos += 2;
        return view.getUint16(pos - 2);
      case 26:
        need(4);
        pos += 4;
        return view.getUint32(pos - 4);
      case 27: {
        need(8);
        const big = view.getBigUint64(pos);
        pos += 8;
        return big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
      }
      default:
        throw new CborError(`invalid additional information ${info}`);
    }
  };

  const readLength = (info: number): number => {
    const length = readArgument(info);
    if (typeof length === "bigint" || length > bytes.length) throw new CborError("CBOR length too large");
    return length;
  };

  const readChunks = (major: number): Uint8Array => {
    const chunks: Uint8Array[] = [];
    for (;;) {
      need(1);
      if (bytes[pos] === 0xff) {
        pos++;
        break;
      }
      const head = bytes[pos++];
      if (head >> 5 !== major) throw new CborError("bad chunk in indefinite-length string");
      const length = readLength(head & 31);
      need(length);
      chunks.push(bytes.subarray(pos, pos + length));
      pos += length;
    }
    return Buffer.concat(chunks);
  };

  const readItem = (depth: number): unknown => {
    if (depth > 256) throw new CborError("CBOR nested too deeply");
    need(1);
    const head = bytes[pos++];
    const major = head >> 5;
    const info = head & 31;
    switch (major) {
      case 0:
        return readArgument(info);
      case 1: {
        const n = readArgument(info);
        return typeof n === "bigint" ? -1n - n : -1 - n;
      }
      case 2:
      case 3: {
        let data: Uint8Array;
        if (info === 31) data = readChunks(major);
        else {
          const length = readLength(info);
          need(length);
          data = bytes.subarray(pos, pos + length);
          pos += length;
        }
        if (major === 2) return Buffer.from(data);
        try {
          return textDecoder.decode(data);
        } catch {
          throw new CborError("invalid UTF-8 in CBOR text string");
        }
      }
      case 4: {
        const out: unknown[] = [];
        if (info === 31) {
          for (;;) {
            need(1);
            if (bytes[pos] === 0xff) {
              pos++;
              return out;
            }
            out.push(readItem(depth + 1));
          }
        }
        const length = readLength(info);
        for (let i = 0; i < length; i++) out.push(readItem(depth + 1));
        return out;
      }
      case 5: {
        const out: Record<string, unknown> = Object.create(null);
        const readEntry = () => {
          const key = readItem(depth + 1);
          if (typeof key !== "string") throw new CborError("CBOR map keys must be text strings");
          out[key] = readItem(depth + 1);
        };
        if (info === 31) {
          for (;;) {
            need(1);
            if (bytes[pos] === 0xff) {
              pos++;
              return out;
            }
            readEntry();
          }
        }
        const length = readLength(info);
        for (let i = 0; i < length; i++) readEntry();
        return out;
      }
      case 6: {
        const tag = readArgument(info);
        const inner = readItem(depth + 1);
        if (tag === 1) {
          if (typeof inner !== "number") throw new CborError("tag 1 needs a numeric epoch");
          return new Date(Math.round(inner * 1000));
        }
        return inner;
      }
      default: {
        switch (info) {
          case 20:
            return false;
          case 21:
            return true;
          case 22:
            return null;
          case 23:
            return undefined;
          case 25: {
            need(2);
            const half = view.getUint16(pos);
            pos += 2;
            return decodeHalf(half);
          }
          case 26:
            need(4);
            pos += 4;
            return view.getFloat32(pos - 4);
          case 27:
            need(8);
            pos += 8;
            return view.getFloat64(pos - 8);
          default:
            if (info < 24) return undefined;
            if (info === 24) {
              need(1);
              pos++;
              return undefined;
            }
            throw new CborError(`invalid simple value ${info}`);
        }
      }
    }
  };

  const value = readItem(0);
  if (pos !== bytes.length) throw new CborError("trailing bytes after CBOR item");
  return value;
}

function decodeHalf(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const fraction = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

export function encodeCbor(value: unknown): Buffer {
  const chunks: Buffer[] = [];
  const head = (major: number, n: number | bigint) => {
    if (typeof n === "bigint") {
      const b = Buffer.alloc(9);
      b[0] = (major << 5) | 27;
      b.writeBigUInt64BE(n, 1);
      chunks.push(b);
    } else if (n < 24) chunks.push(Buffer.from([(major << 5) | n]));
    else if (n < 0x100) chunks.push(Buffer.from([(major << 5) | 24, n]));
    else if (n < 0x10000) {
      const b = Buffer.alloc(3);
      b[0] = (major << 5) | 25;
      b.writeUInt16BE(n, 1);
      chunks.push(b);
    } else if (n < 0x100000000) {
      const b = Buffer.alloc(5);
      b[0] = (major << 5) | 26;
      b.writeUInt32BE(n, 1);
      chunks.push(b);
    } else {
      const b = Buffer.alloc(9);
      b[0] = (major << 5) | 27;
      b.writeBigUInt64BE(BigInt(n), 1);
      chunks.push(b);
    }
  };
  const float = (n: number) => {
    const b = Buffer.alloc(9);
    b[0] = 0xfb;
    b.writeDoubleBE(n, 1);
    chunks.push(b);
  };
  const write = (v: unknown): void => {
    if (v === null || v === undefined) chunks.push(Buffer.from([0xf6]));
    else if (v === true) chunks.push(Buffer.from([0xf5]));
    else if (v === false) chunks.push(Buffer.from([0xf4]));
    else if (typeof v === "number") {
      if (Number.isSafeInteger(v)) v >= 0 ? head(0, v) : head(1, -1 - v);
      else float(v);
    } else if (typeof v === "bigint") v >= 0n ? head(0, v) : head(1, -1n - v);
    else if (typeof v === "string") {
      const data = Buffer.from(v, "utf8");
      head(3, data.length);
      chunks.push(data);
    } else if (v instanceof Uint8Array) {
      head(2, v.length);
      chunks.push(Buffer.from(v.buffer, v.byteOffset, v.byteLength));
    } else if (v instanceof Date) {
      head(6, 1);
      const seconds = v.getTime() / 1000;
      Number.isInteger(seconds) && seconds >= 0 ? head(0, seconds) : float(seconds);
    } else if (Array.isArray(v)) {
      head(4, v.length);
      for (const item of v) write(item);
    } else if (typeof v === "object") {
      const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined);
      head(5, entries.length);
      for (const [key, item] of entries) {
        write(key);
        write(item);
      }
    } else throw new CborError(`cannot encode ${typeof v}`);
  };
  write(value);
  return Buffer.concat(chunks);
}
