/**
 * Test support: writes a state_dict the way `torch.save(model.state_dict(), f)`
 * does (PyTorch 2.x, pickle protocol 2, zip written by PyTorchStreamWriter
 * through miniz), so the reader is tested against torch's layout without torch.
 */
import zlib from "node:zlib";

export type StorageDtype = "float32" | "float64" | "float16";

/** A storage: tensors naming the same object share it (as views of one tensor do). */
export interface Storage {
  dtype: StorageDtype;
  values: ArrayLike<number>;
}

export interface SavedTensor {
  name: string;
  shape: number[];
  storage: Storage;
  /** Default: contiguous. */
  stride?: number[];
  /** In elements. Default 0. */
  offset?: number;
}

const STORAGE_CLASS: Record<StorageDtype, string> = { float32: "FloatStorage", float64: "DoubleStorage", float16: "HalfStorage" };

/** Pickle protocol 2, memoizing as Python's pickler does (strings, tuples, globals, dicts). */
class PickleWriter {
  private readonly parts: Buffer[] = [];
  private memoCount = 0;
  private readonly memo = new Map<string, number>();

  byte(...bytes: number[]): void {
    this.parts.push(Buffer.from(bytes));
  }
  put(): void {
    const index = this.memoCount++;
    if (index < 256) this.byte(0x71, index);
    else {
      const b = Buffer.alloc(5);
      b[0] = 0x72;
      b.writeUInt32LE(index, 1);
      this.parts.push(b);
    }
  }
  private getOrRemember(key: string, write: () => void): void {
    const index = this.memo.get(key);
    if (index !== undefined) {
      if (index < 256) this.byte(0x68, index);
      else {
        const b = Buffer.alloc(5);
        b[0] = 0x6a;
        b.writeUInt32LE(index, 1);
        this.parts.push(b);
      }
      return;
    }
    write();
    this.memo.set(key, this.memoCount);
    this.put();
  }
  global(module: string, name: string): void {
    this.getOrRemember(`global:${module}.${name}`, () => this.parts.push(Buffer.from(`c${module}\n${name}\n`, "utf8")));
  }
  string(text: string): void {
    this.getOrRemember(`str:${text}`, () => {
      const body = Buffer.from(text, "utf8");
      const head = Buffer.alloc(5);
      head[0] = 0x58; // BINUNICODE
      head.writeUInt32LE(body.length, 1);
      this.parts.push(head, body);
    });
  }
  int(n: number): void {
    if (n >= 0 && n <= 0xff) this.byte(0x4b, n);
    else if (n >= 0 && n <= 0xffff) this.byte(0x4d, n & 0xff, n >> 8);
    else if (n >= -0x80000000 && n <= 0x7fffffff) {
      const b = Buffer.alloc(5);
      b[0] = 0x4a;
      b.writeInt32LE(n, 1);
      this.parts.push(b);
    } else {
      const bytes: number[] = [];
      let v = BigInt(n);
      do {
        bytes.push(Number(v & 0xffn));
        v >>= 8n;
      } while (v !== 0n && v !== -1n);
      if ((bytes[bytes.length - 1] & 0x80) !== (n < 0 ? 0x80 : 0)) bytes.push(n < 0 ? 0xff : 0);
      this.byte(0x8a, bytes.length, ...bytes);
    }
  }
  /** A tuple of already-written items: TUPLE1..3 for short ones, MARK ... TUPLE otherwise. */
  tuple(items: Array<() => void>): void {
    if (items.length === 0) return this.byte(0x29);
    if (items.length > 3) this.byte(0x28);
    for (const item of items) item();
    this.byte(items.length > 3 ? 0x74 : [0, 0x85, 0x86, 0x87][items.length]);
    this.put();
  }
  emptyOrderedDict(): void {
    this.global("collections", "OrderedDict");
    this.byte(0x29, 0x52); // EMPTY_TUPLE, REDUCE
    this.put();
  }
  /** Items of the dict on the stack: SETITEM for one, MARK ... SETITEMS for more (batches of 1000). */
  setItems(items: Array<[() => void, () => void]>): void {
    for (let i = 0; i < items.length; i += 1000) {
      const batch = items.slice(i, i + 1000);
      if (batch.length > 1) this.byte(0x28);
      for (const [key, value] of batch) {
        key();
        value();
      }
      this.byte(batch.length > 1 ? 0x75 : 0x73);
    }
  }
  bytes(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** The torch.save bytes of a state_dict. */
export function saveStateDict(tensors: SavedTensor[], options: { prefix?: string; forceZip64?: boolean } = {}): Buffer {
  const keys = new Map<Storage, string>();
  const p = new PickleWriter();
  p.byte(0x80, 0x02);
  p.emptyOrderedDict();
  p.setItems(
    tensors.map((t) => [
      () => p.string(t.name),
      () => {
        const contiguous = t.shape.map((_, d) => t.shape.slice(d + 1).reduce((a, b) => a * b, 1));
        const stride = t.stride ?? contiguous;
        if (!keys.has(t.storage)) keys.set(t.storage, String(keys.size));
        p.global("torch._utils", "_rebuild_tensor_v2");
        p.tuple([
          () => {
            p.tuple([
              () => p.string("storage"),
              () => p.global("torch", STORAGE_CLASS[t.storage.dtype]),
              () => p.string(keys.get(t.storage)!),
              () => p.string("cpu"),
              () => p.int(t.storage.values.length),
            ]);
            p.byte(0x51); // BINPERSID
          },
          () => p.int(t.offset ?? 0),
          () => p.tuple(t.shape.map((n) => () => p.int(n))),
          () => p.tuple(stride.map((n) => () => p.int(n))),
          () => p.byte(0x89), // requires_grad False
          () => p.emptyOrderedDict(), // backward_hooks
        ]);
        p.byte(0x52); // REDUCE
        p.put();
      },
    ]),
  );
  // The state: {'_metadata': OrderedDict({'': {'version': 1}, 'conv1': {'version': 1}, ...})}, then BUILD.
  const modules = ["", ...new Set(tensors.map((t) => t.name.slice(0, Math.max(0, t.name.lastIndexOf(".")))))];
  p.byte(0x7d);
  p.put();
  p.setItems([
    [
      () => p.string("_metadata"),
      () => {
        p.emptyOrderedDict();
        p.setItems(
          modules.map((m) => [
            () => p.string(m),
            () => {
              p.byte(0x7d);
              p.put();
              p.setItems([[() => p.string("version"), () => p.int(1)]]);
            },
          ]),
        );
      },
    ],
  ]);
  p.byte(0x62, 0x2e); // BUILD, STOP

  const prefix = options.prefix ?? "archive";
  const entries: Array<{ name: string; data: Buffer }> = [
    { name: `${prefix}/data.pkl`, data: p.bytes() },
    { name: `${prefix}/byteorder`, data: Buffer.from("little") },
  ];
  const storages = [...keys].sort(([, a], [, b]) => (a < b ? -1 : a > b ? 1 : 0));
  for (const [storage, key] of storages) entries.push({ name: `${prefix}/data/${key}`, data: storageBytes(storage) });
  entries.push({ name: `${prefix}/version`, data: Buffer.from("3\n") });
  entries.push({ name: `${prefix}/.data/serialization_id`, data: Buffer.from("0".repeat(20) + String(zlib.crc32(p.bytes())).padStart(20, "0")) });
  return writeZip(entries, options.forceZip64 ?? false);
}

export function storageBytes(storage: Storage): Buffer {
  const n = storage.values.length;
  if (storage.dtype === "float32") return Buffer.from(Float32Array.from(storage.values).buffer);
  if (storage.dtype === "float64") return Buffer.from(Float64Array.from(storage.values).buffer);
  const out = Buffer.alloc(n * 2);
  for (let i = 0; i < n; i++) out.writeUInt16LE(toHalf(storage.values[i]), i * 2);
  return out;
}

/** float → IEEE half (round to nearest; the test values are normal numbers). */
export function toHalf(value: number): number {
  const f = new DataView(new ArrayBuffer(4));
  f.setFloat32(0, value);
  const bits = f.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  if (value === 0) return sign;
  if (exponent <= 0 || exponent >= 31) throw new Error(`${value} does not fit a normal half`);
  const mantissa = bits & 0x7fffff;
  return (sign | (exponent << 10) | (mantissa >> 13)) + ((mantissa >> 12) & 1);
}

/**
 * A zip as miniz writes it for torch: stored entries, the local extra field
 * "FB" padding each entry's data to 64 bytes, sizes in a data descriptor
 * (the local header's are zero), and zip64 end records (miniz runs with
 * MZ_ZIP_FLAG_WRITE_ZIP64). `forceZip64` marks the central directory's and
 * end record's fields 0xFFFF… with their values in zip64 fields, as an
 * archive past 4 GiB has them.
 */
export function writeZip(entries: Array<{ name: string; data: Buffer }>, forceZip64: boolean): Buffer {
  const parts: Buffer[] = [];
  let cursor = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    cursor += b.length;
  };
  const central: Buffer[] = [];
  for (const { name, data } of entries) {
    const nameBytes = Buffer.from(name, "utf8");
    const crc = zlib.crc32(data);
    const offset = cursor;
    const start = cursor + 30 + nameBytes.length + 4;
    const padding = (64 - (start % 64)) % 64;
    const extra = Buffer.alloc(4 + padding, "Z");
    extra.write("FB", 0, "latin1");
    extra.writeUInt16LE(padding, 2);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(0, 4); // version needed (stored)
    local.writeUInt16LE(0x0008, 6); // sizes in the data descriptor
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(nameBytes.length, 26);
    local.writeUInt16LE(extra.length, 28);
    push(Buffer.concat([local, nameBytes, extra]));
    if (cursor % 64 !== 0) throw new Error("misaligned record");
    push(data);
    const descriptor = Buffer.alloc(16);
    descriptor.writeUInt32LE(0x08074b50, 0);
    descriptor.writeUInt32LE(crc, 4);
    descriptor.writeUInt32LE(data.length, 8);
    descriptor.writeUInt32LE(data.length, 12);
    push(descriptor);

    const header = Buffer.alloc(46);
    header.writeUInt32LE(0x02014b50, 0);
    header.writeUInt16LE(forceZip64 ? 45 : 0, 6);
    header.writeUInt16LE(0x0008, 8);
    header.writeUInt32LE(crc, 16);
    const zip64 = Buffer.alloc(forceZip64 ? 28 : 0);
    if (forceZip64) {
      header.writeUInt32LE(0xffffffff, 20);
      header.writeUInt32LE(0xffffffff, 24);
      header.writeUInt32LE(0xffffffff, 42);
      zip64.writeUInt16LE(0x0001, 0);
      zip64.writeUInt16LE(24, 2);
      zip64.writeBigUInt64LE(BigInt(data.length), 4);
      zip64.writeBigUInt64LE(BigInt(data.length), 12);
      zip64.writeBigUInt64LE(BigInt(offset), 20);
    } else {
      header.writeUInt32LE(data.length, 20);
      header.writeUInt32LE(data.length, 24);
      header.writeUInt32LE(offset, 42);
    }
    header.writeUInt16LE(nameBytes.length, 28);
    header.writeUInt16LE(zip64.length, 30);
    central.push(header, nameBytes, zip64);
  }
  const centralOffset = cursor;
  const centralDir = Buffer.concat(central);
  push(centralDir);
  const zip64End = Buffer.alloc(56);
  zip64End.writeUInt32LE(0x06064b50, 0);
  zip64End.writeBigUInt64LE(44n, 4);
  zip64End.writeUInt16LE(45, 12);
  zip64End.writeUInt16LE(45, 14);
  zip64End.writeBigUInt64LE(BigInt(entries.length), 24);
  zip64End.writeBigUInt64LE(BigInt(entries.length), 32);
  zip64End.writeBigUInt64LE(BigInt(centralDir.length), 40);
  zip64End.writeBigUInt64LE(BigInt(centralOffset), 48);
  const zip64EndOffset = cursor;
  push(zip64End);
  const locator = Buffer.alloc(20);
  locator.writeUInt32LE(0x07064b50, 0);
  locator.writeBigUInt64LE(BigInt(zip64EndOffset), 8);
  locator.writeUInt32LE(1, 16);
  push(locator);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(forceZip64 ? 0xffff : entries.length, 8);
  end.writeUInt16LE(forceZip64 ? 0xffff : entries.length, 10);
  end.writeUInt32LE(forceZip64 ? 0xffffffff : centralDir.length, 12);
  end.writeUInt32LE(forceZip64 ? 0xffffffff : centralOffset, 16);
  push(end);
  return Buffer.concat(parts);
}
