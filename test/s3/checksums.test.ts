import assert from "node:assert/strict";
import { crc32 } from "node:zlib";
import { describe, it } from "node:test";
import { combineCrc, crc32c, crc64nvme, crcFromBase64, crcToBase64, multipartChecksum } from "../../src/services/s3/checksums.js";
import { prefixSuccessor, compareKeys } from "../../src/services/s3/store.js";

describe("S3 checksum and key-order primitives", () => {
  it("computes the standard CRC check values", () => {
    const check = Buffer.from("123456789");
    assert.equal(crc32c(check), 0xe3069283);
    assert.equal(crc64nvme(check), 0xae8b14860a799888n);
    assert.equal(crc32(check) >>> 0, 0xcbf43926);
  });

  it("combines part CRCs into the CRC of the whole", () => {
    const a = Buffer.from("part one of the object, ");
    const b = Buffer.from("and part two");
    const whole = Buffer.concat([a, b]);
    assert.equal(combineCrc("CRC32", BigInt(crc32(a) >>> 0), BigInt(crc32(b) >>> 0), b.length), BigInt(crc32(whole) >>> 0));
    assert.equal(combineCrc("CRC32C", BigInt(crc32c(a)), BigInt(crc32c(b)), b.length), BigInt(crc32c(whole)));
    assert.equal(combineCrc("CRC64NVME", crc64nvme(a), crc64nvme(b), b.length), crc64nvme(whole));
    const full = multipartChecksum("CRC64NVME", "FULL_OBJECT", [
      { checksum: crcToBase64("CRC64NVME", crc64nvme(a)), size: a.length },
      { checksum: crcToBase64("CRC64NVME", crc64nvme(b)), size: b.length },
    ]);
    assert.equal(crcFromBase64(full), crc64nvme(whole));
    const composite = multipartChecksum("CRC32", "COMPOSITE", [
      { checksum: crcToBase64("CRC32", BigInt(crc32(a) >>> 0)), size: a.length },
      { checksum: crcToBase64("CRC32", BigInt(crc32(b) >>> 0)), size: b.length },
    ]);
    assert.match(composite, /^[A-Za-z0-9+/]{6}==-2$/);
  });

  it("orders keys by UTF-8 bytes and finds the first key after a prefix", () => {
    // UTF-16 puts U+FFFD after U+1F680 (a surrogate pair); UTF-8 puts it before.
    assert.ok(compareKeys("\ufffd", "\u{1f680}") < 0);
    assert.ok("\ufffd" > "\u{1f680}");
    assert.equal(prefixSuccessor("logs/"), "logs0");
    assert.equal(prefixSuccessor("a\u{10ffff}"), "b");
    assert.equal(prefixSuccessor("\ud7ff"), "\ue000");
    assert.equal(prefixSuccessor(""), undefined);
  });
});
