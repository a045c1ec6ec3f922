/**
 * Object integrity: the flexible checksums S3 validates and stores (CRC32,
 * CRC32C, CRC64NVME, SHA1, SHA256, SHA512, MD5), combining CRCs of parts into
 * a full-object CRC, and composite (checksum-of-checksums) values.
 */
import { crypto } from "../../core/crypto.js";
import type { Hash } from "node:crypto";
import { createRequire } from "node:module";

export const CHECKSUM_ALGORITHMS = ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256", "SHA512", "MD5"] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export function isChecksumAlgorithm(value: string): value is ChecksumAlgorithm {
  return (CHECKSUM_ALGORITHMS as readonly string[]).includes(value);
}

/** The request/response header of an algorithm: x-amz-checksum-crc32 ... */
export function checksumHeader(algorithm: string): string {
  return `x-amz-checksum-${algorithm.toLowerCase()}`;
}

/** The model member of an algorithm: ChecksumCRC32 ... */
export function checksumMember(algorithm: string): string {
  return `Checksum${algorithm.toUpperCase()}`;
}

/** CRCs can be combined across parts into a full-object value; hashes only composite. */
export function isCrc(algorithm: string): boolean {
  return algorithm === "CRC32" || algorithm === "CRC32C" || algorithm === "CRC64NVME";
}

// --- CRC32C (Castagnoli), slicing-by-8 --------------------------------------

const CRC32C_TABLE = (() => {
  const table = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = table[n];
    for (let k = 1; k < 8; k++) {
      c = table[c & 0xff] ^ (c >>> 8);
      table[k * 256 + n] = c >>> 0;
    }
  }
  return table;
})();

export function crc32c(data: Uint8Array, previous = 0): number {
  const t = CRC32C_TABLE;
  let crc = ~previous >>> 0;
  let i = 0;
  const length = data.length;
  for (; i + 8 <= length; i += 8) {
    const a = (crc ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    crc =
      t[7 * 256 + (a & 0xff)] ^
      t[6 * 256 + ((a >>> 8) & 0xff)] ^
      t[5 * 256 + ((a >>> 16) & 0xff)] ^
      t[4 * 256 + (a >>> 24)] ^
      t[3 * 256 + data[i + 4]] ^
      t[2 * 256 + data[i + 5]] ^
      t[256 + data[i + 6]] ^
      t[data[i + 7]];
  }
  for (; i < length; i++) crc = t[(crc ^ data[i]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

// --- CRC64/NVME, as two 32-bit halves, slicing-by-8 ---------------------------

const CRC64_POLY = 0x9a6c9329ac4bc9b5n;
const [CRC64_LO, CRC64_HI] = (() => {
  const lo = new Uint32Array(8 * 256);
  const hi = new Uint32Array(8 * 256);
  const base: bigint[] = [];
  for (let n = 0; n < 256; n++) {
    let c = BigInt(n);
    for (let k = 0; k < 8; k++) c = c & 1n ? CRC64_POLY ^ (c >> 1n) : c >> 1n;
    base.push(c);
  }
  for (let n = 0; n < 256; n++) {
    let c = base[n];
    for (let k = 0; k < 8; k++) {
      lo[k * 256 + n] = Number(c & 0xffffffffn);
      hi[k * 256 + n] = Number(c >> 32n);
      c = base[Number(c & 0xffn)] ^ (c >> 8n);
    }
  }
  return [lo, hi];
})();

export function crc64nvme(data: Uint8Array, previous = 0n): bigint {
  const tl = CRC64_LO;
  const th = CRC64_HI;
  const init = ~previous & 0xffffffffffffffffn;
  let lo = Number(init & 0xffffffffn) >>> 0;
  let hi = Number(init >> 32n) >>> 0;
  let i = 0;
  const length = data.length;
  for (; i + 8 <= length; i += 8) {
    const a = (lo ^ (data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24))) >>> 0;
    const b = (hi ^ (data[i + 4] | (data[i + 5] << 8) | (data[i + 6] << 16) | (data[i + 7] << 24))) >>> 0;
    const i7 = 7 * 256 + (a & 0xff), i6 = 6 * 256 + ((a >>> 8) & 0xff), i5 = 5 * 256 + ((a >>> 16) & 0xff), i4 = 4 * 256 + (a >>> 24);
    const i3 = 3 * 256 + (b & 0xff), i2 = 2 * 256 + ((b >>> 8) & 0xff), i1 = 256 + ((b >>> 16) & 0xff), i0 = b >>> 24;
    lo = (tl[i7] ^ tl[i6] ^ tl[i5] ^ tl[i4] ^ tl[i3] ^ tl[i2] ^ tl[i1] ^ tl[i0]) >>> 0;
    hi = (th[i7] ^ th[i6] ^ th[i5] ^ th[i4] ^ th[i3] ^ th[i2] ^ th[i1] ^ th[i0]) >>> 0;
  }
  for (; i < length; i++) {
    const idx = (lo ^ data[i]) & 0xff;
    lo = ((lo >>> 8) | (hi << 24)) >>> 0;
    hi = hi >>> 8;
    lo = (lo ^ tl[idx]) >>> 0;
    hi = (hi ^ th[idx]) >>> 0;
  }
  return ~((BigInt(hi) << 32n) | BigInt(lo)) & 0xffffffffffffffffn;
}

// --- Combining CRCs (zlib's crc32_combine, for any reflected CRC) --------------

const POLYS: Record<string, { poly: bigint; width: number }> = {
  CRC32: { poly: 0xedb88320n, width: 32 },
  CRC32C: { poly: 0x82f63b78n, width: 32 },
  CRC64NVME: { poly: CRC64_POLY, width: 64 },
};

function gf2Times(mat: bigint[], vec: bigint): bigint {
  let sum = 0n;
  for (let i = 0; vec !== 0n; i++, vec >>= 1n) if (vec & 1n) sum ^= mat[i];
  return sum;
}

function gf2Square(mat: bigint[]): bigint[] {
  return mat.map((row) => gf2Times(mat, row));
}

/** The CRC of A‖B from crc(A), crc(B) and B's length. */
export function combineCrc(algorithm: string, crcA: bigint, crcB: bigint, lengthB: number): bigint {
  if (lengthB === 0) return crcA;
  const { poly, width } = POLYS[algorithm];
  let odd: bigint[] = [poly];
  for (let n = 1, row = 1n; n < width; n++, row <<= 1n) odd.push(row);
  let even = gf2Square(odd);
  odd = gf2Square(even);
  let len = BigInt(lengthB);
  let crc = crcA;
  for (;;) {
    even = gf2Square(odd);
    if (len & 1n) crc = gf2Times(even, crc);
    len >>= 1n;
    if (len === 0n) break;
    odd = gf2Square(even);
    if (len & 1n) crc = gf2Times(odd, crc);
    len >>= 1n;
    if (len === 0n) break;
  }
  return crc ^ crcB;
}

export function crcToBase64(algorithm: string, value: bigint): string {
  const bytes = algorithm === "CRC64NVME" ? 8 : 4;
  const out = Buffer.alloc(bytes);
  if (bytes === 8) out.writeBigUInt64BE(value);
  else out.writeUInt32BE(Number(value));
  return out.toString("base64");
}

export function crcFromBase64(value: string): bigint {
  const bytes = Buffer.from(value, "base64");
  return bytes.length === 8 ? bytes.readBigUInt64BE() : BigInt(bytes.readUInt32BE());
}

// --- Incremental checksums -------------------------------------------------

export interface Checksummer {
  update(chunk: Buffer): void;
  /** base64, as on the wire. */
  digest(): string;
}

export function checksummer(algorithm: ChecksumAlgorithm): Checksummer {
  switch (algorithm) {
    case "CRC32": {
      let value = 0;
      const { crc32: zlibCrc32 } = zlib();
      return { update: (c) => void (value = zlibCrc32(c, value)), digest: () => crcToBase64("CRC32", BigInt(value >>> 0)) };
    }
    case "CRC32C": {
      let value = 0;
      return { update: (c) => void (value = crc32c(c, value)), digest: () => crcToBase64("CRC32C", BigInt(value)) };
    }
    case "CRC64NVME": {
      let value = 0n;
      return { update: (c) => void (value = crc64nvme(c, value)), digest: () => crcToBase64("CRC64NVME", value) };
    }
    default: {
      const hash: Hash = crypto().createHash(algorithm.toLowerCase());
      return { update: (c) => void hash.update(c), digest: () => hash.digest("base64") };
    }
  }
}

/** Expected base64 length of a well-formed checksum value. */
export function checksumLength(algorithm: ChecksumAlgorithm): number {
  const bytes = { CRC32: 4, CRC32C: 4, CRC64NVME: 8, SHA1: 20, SHA256: 32, SHA512: 64, MD5: 16 }[algorithm];
  return Math.ceil(bytes / 3) * 4;
}

/** The checksum of a multipart object from its parts' checksums. */
export function multipartChecksum(
  algorithm: ChecksumAlgorithm,
  type: "FULL_OBJECT" | "COMPOSITE",
  parts: Array<{ checksum: string; size: number }>,
): string {
  if (type === "FULL_OBJECT") {
    let crc: bigint | undefined;
    for (const part of parts) {
      const value = crcFromBase64(part.checksum);
      crc = crc === undefined ? value : combineCrc(algorithm, crc, value, part.size);
    }
    return crcToBase64(algorithm, crc ?? 0n);
  }
  const whole = checksummer(algorithm);
  for (const part of parts) whole.update(Buffer.from(part.checksum, "base64"));
  return `${whole.digest()}-${parts.length}`;
}

/** node:zlib on first use (its crc32 is the fast CRC32); it is not start-up work. */
let zlibModule: typeof import("node:zlib") | undefined;
function zlib(): typeof import("node:zlib") {
  return (zlibModule ??= createRequire(import.meta.url)("node:zlib") as typeof import("node:zlib"));
}
