/**
 * A reader for the zip archives `torch.save` writes: entries stored (not
 * compressed), zip64 records when the archive or an entry passes 4 GiB.
 * It reads through a random-access source, so a model can be read from a
 * file without holding it whole in memory.
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import zlib from "node:zlib";

/** Bytes by position: a Buffer or an open file. */
export interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Buffer;
  close(): void;
}

export function bufferSource(buffer: Buffer): ByteSource {
  return {
    size: buffer.length,
    read: (offset, length) => {
      if (offset < 0 || offset + length > buffer.length) throw new Error("the archive is truncated");
      return buffer.subarray(offset, offset + length);
    },
    close: () => undefined,
  };
}

export function fileSource(file: string): ByteSource {
  const fd = openSync(file, "r");
  const size = fstatSync(fd).size;
  return {
    size,
    read(offset, length) {
      if (offset < 0 || offset + length > size) throw new Error("the archive is truncated");
      const out = Buffer.allocUnsafe(length);
      let done = 0;
      while (done < length) {
        const n = readSync(fd, out, done, length - done, offset + done);
        if (n === 0) throw new Error("the archive is truncated");
        done += n;
      }
      return out;
    },
    close: () => closeSync(fd),
  };
}

export interface ZipEntry {
  name: string;
  method: number;
  crc32: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

const EOCD = 0x06054b50;
const ZIP64_EOCD = 0x06064b50;
const ZIP64_LOCATOR = 0x07064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const U32_MAX = 0xffffffff;

export class ZipArchive {
  readonly entries = new Map<string, ZipEntry>();

  constructor(private readonly source: ByteSource) {
    const { offset, count } = this.findCentralDirectory();
    let at = offset;
    for (let i = 0; i < count; i++) {
      const fixed = source.read(at, 46);
      if (fixed.readUInt32LE(0) !== CENTRAL) throw new Error("the zip central directory is damaged");
      const nameLength = fixed.readUInt16LE(28);
      const extraLength = fixed.readUInt16LE(30);
      const commentLength = fixed.readUInt16LE(32);
      const variable = source.read(at + 46, nameLength + extraLength);
      const entry: ZipEntry = {
        name: variable.toString("utf8", 0, nameLength),
        method: fixed.readUInt16LE(10),
        crc32: fixed.readUInt32LE(16),
        compressedSize: fixed.readUInt32LE(20),
        size: fixed.readUInt32LE(24),
        localHeaderOffset: fixed.readUInt32LE(42),
      };
      applyZip64Extra(entry, variable.subarray(nameLength));
      this.entries.set(entry.name, entry);
      at += 46 + nameLength + extraLength + commentLength;
    }
  }

  /** An entry's bytes; throws for a compressed entry (torch never compresses) or a bad CRC. */
  read(name: string): Buffer {
    const entry = this.entries.get(name);
    if (!entry) throw new Error(`the archive has no entry ${name}`);
    if (entry.method !== 0) {
      throw new Error(`${name} is compressed (method ${entry.method}); torch.save stores entries uncompressed, and only that is supported`);
    }
    const local = this.source.read(entry.localHeaderOffset, 30);
    if (local.readUInt32LE(0) !== LOCAL) throw new Error(`the local header of ${name} is damaged`);
    // The local extra field differs from the central one: torch pads it to align the data to 64 bytes.
    const start = entry.localHeaderOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
    const data = this.source.read(start, entry.size);
    if (typeof zlib.crc32 === "function" && zlib.crc32(data) !== entry.crc32) throw new Error(`${name} fails its CRC-32 check (a damaged file)`);
    return data;
  }

  close(): void {
    this.source.close();
  }

  private findCentralDirectory(): { offset: number; count: number } {
    const size = this.source.size;
    if (size < 22) throw new Error("not a zip archive (too short)");
    // The end record is the last 22 bytes plus a comment of at most 65535.
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = this.source.read(size - tailLength, tailLength);
    let at = -1;
    for (let i = tailLength - 22; i >= 0; i--) {
      if (tail.readUInt32LE(i) === EOCD) {
        at = i;
        break;
      }
    }
    if (at < 0) throw new Error("not a zip archive (no end of central directory record)");
    let count = tail.readUInt16LE(at + 10);
    let offset = tail.readUInt32LE(at + 16);
    const eocdPosition = size - tailLength + at;
    if ((count === 0xffff || offset === U32_MAX) && eocdPosition >= 20) {
      const locator = this.source.read(eocdPosition - 20, 20);
      if (locator.readUInt32LE(0) === ZIP64_LOCATOR) {
        const record = this.source.read(Number(locator.readBigUInt64LE(8)), 56);
        if (record.readUInt32LE(0) !== ZIP64_EOCD) throw new Error("the zip64 end of central directory record is damaged");
        count = Number(record.readBigUInt64LE(32));
        offset = Number(record.readBigUInt64LE(48));
      }
    }
    return { offset, count };
  }
}

/** Replaces the 32-bit fields marked 0xFFFFFFFF by their 64-bit values, in the order the zip spec gives them. */
function applyZip64Extra(entry: ZipEntry, extra: Buffer): void {
  for (let at = 0; at + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(at);
    const length = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      let field = at + 4;
      const next = (): number => {
        if (field + 8 > at + 4 + length) throw new Error(`the zip64 field of ${entry.name} is too short`);
        const value = Number(extra.readBigUInt64LE(field));
        field += 8;
        return value;
      };
      if (entry.size === U32_MAX) entry.size = next();
      if (entry.compressedSize === U32_MAX) entry.compressedSize = next();
      if (entry.localHeaderOffset === U32_MAX) entry.localHeaderOffset = next();
      return;
    }
    at += 4 + length;
  }
}
