/**
 * The object codec: AES-256-CTR, seekable and length-preserving, so that a
 * ranged GET decrypts from any offset. Each segment (a PUT's body, or one
 * multipart part) gets its own keystream: its IV is derived from the object's
 * random nonce and the segment number, with a 64-bit block counter below.
 */
import { crypto } from "../../../core/crypto.js";
import type { Cipher } from "node:crypto";
import { Transform, type TransformCallback } from "node:stream";
import type { ObjectCodec } from "../hooks.js";

const BLOCK = 16;

function segmentIv(nonce: Buffer, segment: number, block: bigint): Buffer {
  const iv = Buffer.alloc(16);
  crypto().createHash("sha256").update(nonce).update(String(segment)).digest().copy(iv, 0, 0, 8);
  iv.writeBigUInt64BE(block, 8);
  return iv;
}

/** AES-256-CTR positioned at byte `offset` of the segment (encrypting and decrypting are the same xor). */
export function ctrCipher(key: Buffer, nonce: Buffer, segment: number, offset: number): Cipher {
  const cipher = crypto().createCipheriv("aes-256-ctr", key, segmentIv(nonce, segment, BigInt(Math.floor(offset / BLOCK))));
  const skip = offset % BLOCK;
  if (skip) cipher.update(Buffer.alloc(skip));
  return cipher;
}

/** CTR has no padding: update() returns every byte, final() none. */
function ctr(key: Buffer, nonce: Buffer, segment: number, offset: number, data: Buffer): Buffer {
  return ctrCipher(key, nonce, segment, offset).update(data);
}

/** A transform that encrypts a segment from its start. */
class CtrTransform extends Transform {
  private readonly cipher: Cipher;

  constructor(key: Buffer, nonce: Buffer, segment: number) {
    super({ highWaterMark: 1 << 20 });
    this.cipher = ctrCipher(key, nonce, segment, 0);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    callback(null, this.cipher.update(chunk));
  }

  override _flush(callback: TransformCallback): void {
    const rest = this.cipher.final();
    callback(null, rest.length ? rest : undefined);
  }
}

export function ctrCodec(key: Buffer, nonce: Buffer): ObjectCodec {
  return {
    ctr: { key, nonce },
    encrypt: (segment) => new CtrTransform(key, nonce, segment),
    decryptor: (segment, offset) => {
      const cipher = ctrCipher(key, nonce, segment, offset);
      return (data) => cipher.update(data);
    },
    encryptBuffer: (segment, data) => ctr(key, nonce, segment, 0, data),
    decryptBuffer: (segment, offset, data) => ctr(key, nonce, segment, offset, data),
  };
}
