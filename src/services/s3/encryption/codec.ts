/**
 * The object codec: AES-256-CTR, seekable and length-preserving, so that a
 * ranged GET decrypts from any offset. Each segment (a PUT's body, or one
 * multipart part) gets its own keystream: its IV is derived from the object's
 * random nonce and the segment number, with a 64-bit block counter below.
 */
import { crypto } from "../../../core/crypto.js";
import type { Cipher } from "node:crypto";
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
function xorFrom(key: Buffer, nonce: Buffer, segment: number, offset: number): (data: Buffer) => Buffer {
  const cipher = ctrCipher(key, nonce, segment, offset);
  return (data) => cipher.update(data);
}

export function ctrCodec(key: Buffer, nonce: Buffer): ObjectCodec {
  return {
    ctr: { key, nonce },
    encryptor: (segment) => xorFrom(key, nonce, segment, 0),
    decryptor: (segment, offset) => xorFrom(key, nonce, segment, offset),
  };
}
