/**
 * Reads a state_dict saved by `torch.save` (PyTorch ≥ 1.6: a zip of
 * `<prefix>/data.pkl`, `<prefix>/byteorder` and one `<prefix>/data/<key>`
 * per storage) into float32 tensors. Only the globals a state_dict needs are
 * known; any other is refused by name, never imported.
 */
import { bufferSource, fileSource, ZipArchive, type ByteSource } from "./zip-archive.js";
import { PyDict, PyTuple, unpickle, type PyCallable } from "./pickle.js";

export interface Tensor {
  shape: number[];
  /** The elements in row-major (contiguous) order, converted to float32. */
  data: Float32Array;
  /** The dtype it was stored as ("float32", "float16", ...). */
  dtype: string;
}

export type StateDict = Map<string, Tensor>;

interface DType {
  name: string;
  bytes: number;
  read(view: DataView, offset: number, littleEndian: boolean): number;
}

const half = (bits: number): number => {
  const exponent = (bits >> 10) & 0x1f;
  const fraction = bits & 0x3ff;
  const sign = bits & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 31) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
};
const scratch = new DataView(new ArrayBuffer(4));
const bfloat16 = (bits: number): number => {
  scratch.setUint32(0, bits << 16);
  return scratch.getFloat32(0);
};

const DTYPES: Record<string, DType> = {
  float32: { name: "float32", bytes: 4, read: (v, o, le) => v.getFloat32(o, le) },
  float64: { name: "float64", bytes: 8, read: (v, o, le) => v.getFloat64(o, le) },
  float16: { name: "float16", bytes: 2, read: (v, o, le) => half(v.getUint16(o, le)) },
  bfloat16: { name: "bfloat16", bytes: 2, read: (v, o, le) => bfloat16(v.getUint16(o, le)) },
  int64: { name: "int64", bytes: 8, read: (v, o, le) => Number(v.getBigInt64(o, le)) },
  int32: { name: "int32", bytes: 4, read: (v, o, le) => v.getInt32(o, le) },
  int16: { name: "int16", bytes: 2, read: (v, o, le) => v.getInt16(o, le) },
  int8: { name: "int8", bytes: 1, read: (v, o) => v.getInt8(o) },
  uint8: { name: "uint8", bytes: 1, read: (v, o) => v.getUint8(o) },
  bool: { name: "bool", bytes: 1, read: (v, o) => (v.getUint8(o) ? 1 : 0) },
};

/** torch.<Name>Storage → its dtype; UntypedStorage holds bytes. */
const STORAGE_CLASSES: Record<string, DType> = {
  FloatStorage: DTYPES.float32,
  DoubleStorage: DTYPES.float64,
  HalfStorage: DTYPES.float16,
  BFloat16Storage: DTYPES.bfloat16,
  LongStorage: DTYPES.int64,
  IntStorage: DTYPES.int32,
  ShortStorage: DTYPES.int16,
  CharStorage: DTYPES.int8,
  ByteStorage: DTYPES.uint8,
  BoolStorage: DTYPES.bool,
  UntypedStorage: DTYPES.uint8,
};

/** torch.float32-style dtype globals (as _rebuild_tensor_v3 names them). */
const DTYPE_GLOBALS: Record<string, DType> = {
  float32: DTYPES.float32, float: DTYPES.float32, float64: DTYPES.float64, double: DTYPES.float64,
  float16: DTYPES.float16, half: DTYPES.float16, bfloat16: DTYPES.bfloat16,
  int64: DTYPES.int64, long: DTYPES.int64, int32: DTYPES.int32, int: DTYPES.int32,
  int16: DTYPES.int16, short: DTYPES.int16, int8: DTYPES.int8, uint8: DTYPES.uint8, bool: DTYPES.bool,
};

/** A storage class or dtype named in the pickle: a value, not something to call. */
class TypeName implements PyCallable {
  constructor(readonly qualifiedName: string, readonly dtype: DType) {}
  call(): never {
    throw new Error(`the pickle calls ${this.qualifiedName}, which a state_dict never does`);
  }
}

interface StorageRef {
  key: string;
  dtype: DType;
  /** Elements of dtype (bytes for an UntypedStorage). */
  numel: number;
  bytes: () => Buffer;
}

const LEGACY_MAGIC = Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19]);

/** Reads a torch.save file from memory. */
export function readTorchBuffer(buffer: Buffer): StateDict {
  return readTorch(bufferSource(buffer));
}

/** Reads a torch.save file from disk, one storage at a time. */
export function readTorchFile(file: string): StateDict {
  return readTorch(fileSource(file));
}

function readTorch(source: ByteSource): StateDict {
  try {
    const head = source.read(0, Math.min(source.size, LEGACY_MAGIC.length));
    if (head.equals(LEGACY_MAGIC)) {
      throw new Error("this is torch.save's legacy format (before PyTorch 1.6, or _use_new_zipfile_serialization=False): save it again with a newer PyTorch");
    }
    let archive: ZipArchive;
    try {
      archive = new ZipArchive(source);
    } catch (error) {
      throw new Error(`not a PyTorch model file: torch.save writes a zip archive, and this is ${(error as Error).message.replace(/^not a zip archive/, "not one")}`);
    }
    return readArchive(archive);
  } finally {
    source.close();
  }
}

function readArchive(archive: ZipArchive): StateDict {
  const pickles = [...archive.entries.keys()].filter((name) => /^[^/]+\/data\.pkl$/.test(name));
  if (pickles.length !== 1) throw new Error(`not a torch.save archive: expected one <prefix>/data.pkl, found ${pickles.length}`);
  const prefix = pickles[0].slice(0, -"data.pkl".length);
  const byteorderName = `${prefix}byteorder`;
  const byteorder = archive.entries.has(byteorderName) ? archive.read(byteorderName).toString("ascii").trim() : "little";
  if (byteorder !== "little" && byteorder !== "big") throw new Error(`unknown byteorder '${byteorder}'`);
  const littleEndian = byteorder === "little";

  const storages = new Map<string, Buffer>();
  const root = unpickle(archive.read(pickles[0]), {
    findGlobal: (module, name) => findGlobal(module, name, littleEndian),
    persistentLoad(pid) {
      const [kind, type, key, , numel] = pid instanceof PyTuple ? pid.items : [];
      if (kind !== "storage" || !(type instanceof TypeName) || typeof key !== "string" || typeof numel !== "number") {
        throw new Error("the pickle names a persistent object that is not a ('storage', type, key, location, numel) tuple");
      }
      const ref: StorageRef = {
        key,
        dtype: type.dtype,
        numel,
        bytes() {
          let data = storages.get(key);
          if (!data) {
            data = archive.read(`${prefix}data/${key}`);
            storages.set(key, data);
          }
          return data;
        },
      };
      return ref;
    },
  });
  return stateDictOf(root);
}

function findGlobal(module: string, name: string, littleEndian: boolean): PyCallable {
  const qualifiedName = `${module}.${name}`;
  const fn = (call: (args: unknown[]) => unknown): PyCallable => ({ qualifiedName, call });
  if (qualifiedName === "collections.OrderedDict") {
    return fn((args) => {
      const dict = new PyDict();
      const pairs = args[0];
      if (Array.isArray(pairs)) for (const pair of pairs) if (pair instanceof PyTuple) dict.set(pair.items[0], pair.items[1]);
      return dict;
    });
  }
  if (module === "torch._utils") {
    switch (name) {
      case "_rebuild_tensor":
      case "_rebuild_tensor_v2":
        return fn((args) => rebuildTensor(args, undefined, littleEndian));
      case "_rebuild_tensor_v3":
        return fn((args) => rebuildTensor(args, args[6], littleEndian));
      case "_rebuild_parameter":
      case "_rebuild_parameter_with_state":
        return fn((args) => args[0]);
    }
  }
  if ((module === "torch" || module === "torch.storage") && STORAGE_CLASSES[name]) return new TypeName(qualifiedName, STORAGE_CLASSES[name]);
  if (module === "torch" && DTYPE_GLOBALS[name]) return new TypeName(qualifiedName, DTYPE_GLOBALS[name]);
  const hint = module === "__main__" || !module.startsWith("torch") ? " (torch.save(model) pickles the model's class: save model.state_dict() instead)" : "";
  throw new Error(`the model file uses ${qualifiedName}, which a state_dict does not need: refusing to load it${hint}`);
}

function rebuildTensor(args: unknown[], dtypeArg: unknown, littleEndian: boolean): Tensor {
  const [storage, offset, size, stride] = args;
  if (!isStorage(storage)) throw new Error("a tensor is rebuilt from something that is not a storage");
  const shape = intTuple(size, "size");
  const strides = intTuple(stride, "stride");
  if (typeof offset !== "number" || strides.length !== shape.length) throw new Error("a tensor has a malformed offset or stride");
  let dtype = storage.dtype;
  if (dtypeArg instanceof TypeName) dtype = dtypeArg.dtype;
  const bytes = storage.bytes();
  const elements = Math.floor(bytes.length / dtype.bytes);
  const numel = shape.reduce((a, b) => a * b, 1);
  let last = offset;
  for (let d = 0; d < shape.length; d++) if (shape[d] > 0) last += (shape[d] - 1) * strides[d];
  if (numel > 0 && (offset < 0 || last >= elements)) throw new Error(`a tensor reaches past its storage ${storage.key} (${elements} elements)`);
  return { shape, dtype: dtype.name, data: contiguous(bytes, dtype, offset, shape, strides, numel, littleEndian) };
}

function contiguous(bytes: Buffer, dtype: DType, offset: number, shape: number[], strides: number[], numel: number, littleEndian: boolean): Float32Array {
  const out = new Float32Array(numel);
  if (numel === 0) return out;
  let isContiguous = true;
  for (let d = shape.length - 1, expected = 1; d >= 0; d--) {
    if (shape[d] !== 1 && strides[d] !== expected) isContiguous = false;
    expected *= shape[d];
  }
  if (isContiguous && dtype === DTYPES.float32 && littleEndian && HOST_LITTLE_ENDIAN) {
    new Uint8Array(out.buffer).set(bytes.subarray(offset * 4, (offset + numel) * 4));
    return out;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const index = new Array<number>(shape.length).fill(0);
  let at = offset;
  for (let i = 0; i < numel; i++) {
    out[i] = dtype.read(view, at * dtype.bytes, littleEndian);
    // Advance the multi-index like an odometer, moving `at` by the strides.
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d] < shape[d]) {
        at += strides[d];
        break;
      }
      at -= (shape[d] - 1) * strides[d];
      index[d] = 0;
    }
  }
  return out;
}

const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function isStorage(value: unknown): value is StorageRef {
  return typeof value === "object" && value !== null && typeof (value as StorageRef).bytes === "function" && "dtype" in value;
}

function intTuple(value: unknown, what: string): number[] {
  const items = value instanceof PyTuple ? value.items : Array.isArray(value) ? value : undefined;
  if (!items || !items.every((n) => Number.isInteger(n) && (n as number) >= 0)) throw new Error(`a tensor's ${what} is not a tuple of integers`);
  return items as number[];
}

function isTensor(value: unknown): value is Tensor {
  return typeof value === "object" && value !== null && (value as Tensor).data instanceof Float32Array;
}

/** The name → tensor map: the pickled dict itself, or a checkpoint's `state_dict`/`model_state_dict`. */
function stateDictOf(root: unknown): StateDict {
  if (!(root instanceof Map)) throw new Error("the file does not hold a state_dict (a dict of tensors)");
  for (const nested of ["state_dict", "model_state_dict"]) {
    if (root.get(nested) instanceof Map) return stateDictOf(root.get(nested));
  }
  const out: StateDict = new Map();
  for (const [name, value] of root) {
    if (typeof name !== "string") throw new Error("the state_dict has a key that is not a string");
    if (!isTensor(value)) throw new Error(`the state_dict's ${name} is not a tensor`);
    out.set(name, value);
  }
  return out;
}
