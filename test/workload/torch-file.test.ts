/** Reading torch.save files: the zip, the pickle, storages and views, and what is refused. */
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { unpickle, PyTuple } from "../../src/workload/pickle.js";
import { readTorchBuffer, readTorchFile } from "../../src/workload/torch-file.js";
import { bufferSource, ZipArchive } from "../../src/workload/zip-archive.js";
import { saveStateDict, writeZip, type SavedTensor, type Storage } from "./torch-writer.js";
import { modelTensors, SMALL_MODEL } from "./reference.js";

const refuseGlobals = {
  findGlobal: (module: string, name: string): never => {
    throw new Error(`refused ${module}.${name}`);
  },
  persistentLoad: (): never => {
    throw new Error("no persistent ids here");
  },
};

/** Protocol-4 opcodes, as Python writes them: SHORT_BINUNICODE + MEMOIZE, STACK_GLOBAL. */
const s = (text: string) => [0x8c, Buffer.byteLength(text), ...Buffer.from(text), 0x94];
const g = (module: string, name: string) => [...s(module), ...s(name), 0x93, 0x94];

describe("torch.save files", () => {
  it("reads every tensor of a state_dict, in order, with its shape and exact values", () => {
    const tensors = modelTensors(SMALL_MODEL, 7);
    const state = readTorchBuffer(saveStateDict(tensors));
    assert.deepEqual([...state.keys()], tensors.map((t) => t.name));
    for (const t of tensors) {
      const read = state.get(t.name)!;
      assert.deepEqual(read.shape, t.shape, t.name);
      assert.equal(read.dtype, "float32");
      assert.deepEqual(read.data, Float32Array.from(t.storage.values), t.name);
    }
  });

  it("writes what torch writes: entries under archive/, data aligned to 64 bytes, a data descriptor, zip64 end records", () => {
    const file = saveStateDict(modelTensors(SMALL_MODEL, 1));
    const archive = new ZipArchive(bufferSource(file));
    const names = [...archive.entries.keys()];
    assert.deepEqual(names.slice(0, 2), ["archive/data.pkl", "archive/byteorder"]);
    assert.deepEqual(names.slice(-2), ["archive/version", "archive/.data/serialization_id"]);
    assert.ok(names.includes("archive/data/0") && names.includes("archive/data/7"));
    for (const entry of archive.entries.values()) {
      const dataStart = entry.localHeaderOffset + 30 + file.readUInt16LE(entry.localHeaderOffset + 26) + file.readUInt16LE(entry.localHeaderOffset + 28);
      assert.equal(dataStart % 64, 0, entry.name);
      assert.equal(file.readUInt32LE(entry.localHeaderOffset + 18), 0, "the local header leaves the size to the descriptor");
    }
    assert.equal(archive.read("archive/byteorder").toString(), "little");
    assert.equal(archive.read("archive/data.pkl").subarray(0, 2).toString("hex"), "8002", "pickle protocol 2");
    assert.ok(file.includes(Buffer.from([0x50, 0x4b, 0x06, 0x06])));
  });

  it("copies views of a shared storage (offset, transposed strides) and converts float64 and float16", () => {
    const shared: Storage = { dtype: "float32", values: Float32Array.from({ length: 12 }, (_, i) => i) };
    const tensors: SavedTensor[] = [
      { name: "a", shape: [3, 4], storage: shared },
      { name: "a_t", shape: [4, 3], stride: [1, 4], storage: shared },
      { name: "row1", shape: [4], offset: 4, storage: shared },
      { name: "column2", shape: [3, 1], stride: [4, 1], offset: 2, storage: shared },
      { name: "double", shape: [2, 2], storage: { dtype: "float64", values: [0.1, -2.5, 1e10, 3] } },
      { name: "half", shape: [4], storage: { dtype: "float16", values: [1, -0.5, 0.099975586, 65504] } },
    ];
    const state = readTorchBuffer(saveStateDict(tensors));
    assert.deepEqual([...state.get("a_t")!.data], [0, 4, 8, 1, 5, 9, 2, 6, 10, 3, 7, 11]);
    assert.deepEqual([...state.get("row1")!.data], [4, 5, 6, 7]);
    assert.deepEqual([...state.get("column2")!.data], [2, 6, 10]);
    assert.deepEqual([...state.get("double")!.data], [...Float32Array.from([0.1, -2.5, 1e10, 3])]);
    assert.equal(state.get("double")!.dtype, "float64");
    assert.deepEqual([...state.get("half")!.data], [1, -0.5, 0.099975586, 65504].map((v) => Math.fround(v)));
    const archive = new ZipArchive(bufferSource(saveStateDict(tensors)));
    assert.equal([...archive.entries.keys()].filter((n) => n.startsWith("archive/data/")).length, 3, "one storage for the views");
  });

  it("finds data.pkl under any prefix, reads zip64 records, and reads from a file", () => {
    const tensors = modelTensors(SMALL_MODEL, 2);
    const expected = readTorchBuffer(saveStateDict(tensors));
    for (const file of [saveStateDict(tensors, { prefix: "resnet50" }), saveStateDict(tensors, { forceZip64: true })]) {
      const state = readTorchBuffer(file);
      assert.deepEqual([...state.keys()], [...expected.keys()]);
      assert.deepEqual(state.get("fc1.weight")!.data, expected.get("fc1.weight")!.data);
    }
    const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-torch-"));
    try {
      writeFileSync(path.join(dir, "model.pth"), saveStateDict(tensors, { forceZip64: true }));
      assert.deepEqual(readTorchFile(path.join(dir, "model.pth")).get("conv2.weight")!.data, expected.get("conv2.weight")!.data);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("says why it refuses: not a zip, the legacy format, compressed entries, damaged data", () => {
    assert.throws(() => readTorchBuffer(Buffer.from("Placeholder PyTorch model\n")), /not a PyTorch model file: torch.save writes a zip archive/);
    const legacy = Buffer.from([0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e]);
    assert.throws(() => readTorchBuffer(legacy), /legacy format/);
    const file = saveStateDict(modelTensors(SMALL_MODEL, 3));
    const compressed = Buffer.from(file);
    const central = compressed.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    compressed.writeUInt16LE(8, central + 10); // data.pkl, the first entry, now says "deflated"
    assert.throws(() => readTorchBuffer(compressed), /archive\/data.pkl is compressed \(method 8\)/);
    const damaged = Buffer.from(file);
    damaged[damaged.indexOf(Buffer.from("archive/data/0")) + 200] ^= 0xff;
    assert.throws(() => readTorchBuffer(damaged), /CRC-32/);
    assert.throws(() => readTorchBuffer(writeZip([{ name: "archive/other", data: Buffer.from("x") }], false)), /expected one <prefix>\/data.pkl, found 0/);
  });

  it("refuses any global a state_dict does not need, by name, without running it", () => {
    const pickle = (bytes: number[]) => writeZip([{ name: "archive/data.pkl", data: Buffer.from([0x80, 0x02, ...bytes]) }], false);
    const evil = pickle([0x63, ...Buffer.from("os\nsystem\n"), 0x58, 4, 0, 0, 0, ...Buffer.from("true"), 0x85, 0x52, 0x2e]);
    assert.throws(() => readTorchBuffer(evil), /uses os\.system, which a state_dict does not need: refusing to load it/);
    const wholeModel = pickle([0x63, ...Buffer.from("__main__\nSimpleCNN\n"), 0x29, 0x52, 0x2e]);
    assert.throws(() => readTorchBuffer(wholeModel), /__main__\.SimpleCNN.*save model\.state_dict\(\) instead/);
    assert.throws(() => readTorchBuffer(pickle([0x4b, 1, 0x2e])), /does not hold a state_dict/);
  });

  it("reads protocol 4 as torch 2.x may write it: FRAME, STACK_GLOBAL, MEMOIZE, UntypedStorage with a dtype (_rebuild_tensor_v3)", () => {
    const bytes = Buffer.concat([Buffer.from([1, 2, 3, 4].flatMap((v) => [...new Uint8Array(Float32Array.of(v * 1.5).buffer)]))]);
    const body = [
      ...g("collections", "OrderedDict"), 0x29, 0x52, 0x94,
      ...s("layer.weight"),
      ...g("torch._utils", "_rebuild_tensor_v3"),
      0x28,
      0x28, ...s("storage"), ...g("torch", "UntypedStorage"), ...s("0"), ...s("cpu"), 0x4b, 16, 0x74, 0x94, 0x51,
      0x4b, 0, 0x4b, 2, 0x4b, 2, 0x86, 0x94, 0x4b, 2, 0x4b, 1, 0x86, 0x94, 0x89,
      ...g("collections", "OrderedDict"), 0x29, 0x52, 0x94,
      ...g("torch", "float32"),
      0x74, 0x94, 0x52, 0x94, 0x73, 0x2e,
    ];
    const frame = Buffer.alloc(9);
    frame[0] = 0x95;
    frame.writeBigUInt64LE(BigInt(body.length), 1);
    const pkl = Buffer.concat([Buffer.from([0x80, 0x04]), frame, Buffer.from(body)]);
    const state = readTorchBuffer(writeZip([{ name: "m/data.pkl", data: pkl }, { name: "m/data/0", data: bytes }], false));
    assert.deepEqual(state.get("layer.weight"), { shape: [2, 2], dtype: "float32", data: Float32Array.of(1.5, 3, 4.5, 6) });
  });

  it("unpickles the plain values around tensors: ints of every width, floats, strings, lists, dicts, memo", () => {
    const value = unpickle(
      Buffer.from([
        0x80, 0x02, 0x5d, 0x71, 0x00, 0x28,
        0x4b, 0xff, 0x4d, 0x34, 0x12, 0x4a, 0xfe, 0xff, 0xff, 0xff,
        0x8a, 0x05, 0x00, 0x00, 0x00, 0x00, 0x01, 0x8a, 0x01, 0xff,
        0x47, 0x40, 0x09, 0x21, 0xfb, 0x54, 0x44, 0x2d, 0x18,
        0x55, 0x02, 0x68, 0x69, 0x4e, 0x88, 0x89,
        0x7d, 0x71, 0x01, 0x58, 0x01, 0x00, 0x00, 0x00, 0x6b, 0x68, 0x00, 0x73,
        0x65, 0x2e,
      ]),
      refuseGlobals,
    ) as unknown[];
    assert.equal(value.length, 11);
    assert.deepEqual(value.slice(0, 10), [255, 0x1234, -2, 2 ** 32, -1, Math.PI, "hi", null, true, false]);
    const dict = value[10] as Map<string, unknown>;
    assert.equal(dict.get("k"), value, "BINGET returns the memoized list itself");
    assert.throws(() => unpickle(Buffer.from([0x80, 0x02, 0x63, ...Buffer.from("builtins\neval\n"), 0x2e]), refuseGlobals), /refused builtins\.eval/);
    assert.throws(() => unpickle(Buffer.from([0x80, 0x02, 0x4b]), refuseGlobals), /truncated/);
    assert.throws(() => unpickle(Buffer.from([0x80, 0x02, 0x69, 0x2e]), refuseGlobals), /opcode 0x69/);
    assert.ok(unpickle(Buffer.from([0x80, 0x02, 0x29, 0x2e]), refuseGlobals) instanceof PyTuple);
  });
});
