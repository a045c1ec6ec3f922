/**
 * Signing and verifying a message digest (Sign/Verify with MessageType
 * DIGEST). node:crypto only signs messages it hashes itself, so the digest is
 * signed from the primitives it does have:
 *
 * - RSASSA-PKCS1-v1_5: the DigestInfo (RFC 8017 §9.2) under privateEncrypt's
 *   type-1 padding.
 * - RSASSA-PSS: EMSA-PSS (RFC 8017 §9.1, MGF1 with the same hash, salt as long
 *   as the hash, as KMS does) under raw RSA.
 * - ECDSA: the nonce point k·G, and for verification (u1 + u2·d)·G (= u1·G +
 *   u2·Q, since KMS holds d), come from ECDH's scalar multiplication; the rest
 *   is arithmetic modulo the curve order. Signatures are DER, as KMS's are.
 *
 * The result is an ordinary signature over the original message: node:crypto's
 * verify (with the message) accepts it, which is what the tests check.
 */
import type { KeyObject } from "node:crypto";
import { crypto } from "../../core/crypto.js";
import type { SigningAlgorithm } from "./specs.js";

const DIGEST_INFO: Record<string, Buffer> = {
  sha256: Buffer.from("3031300d060960864801650304020105000420", "hex"),
  sha384: Buffer.from("3041300d060960864801650304020205000430", "hex"),
  sha512: Buffer.from("3051300d060960864801650304020305000440", "hex"),
};

/** Orders of the curves' base points (SEC 2, FIPS 186-4). */
const ORDERS: Record<string, bigint> = {
  prime256v1: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  secp384r1: 0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  secp521r1:
    0x01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d03bb5c9b8899c47aebb6fb71e91386409n,
  secp256k1: 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n,
};

export function signDigest(algorithm: SigningAlgorithm, privateKey: KeyObject, digest: Buffer): Buffer {
  const c = crypto();
  if (algorithm.kind === "pkcs1") {
    return c.privateEncrypt({ key: privateKey, padding: c.constants.RSA_PKCS1_PADDING }, Buffer.concat([DIGEST_INFO[algorithm.hash], digest]));
  }
  if (algorithm.kind === "pss") {
    const modBits = privateKey.asymmetricKeyDetails!.modulusLength!;
    const em = pssEncode(algorithm.hash, digest, modBits);
    return c.privateEncrypt({ key: privateKey, padding: c.constants.RSA_NO_PADDING }, leftPad(em, Math.ceil(modBits / 8)));
  }
  return ecdsaSign(privateKey, digest);
}

export function verifyDigest(algorithm: SigningAlgorithm, privateKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const c = crypto();
  const publicKey = c.createPublicKey(privateKey);
  try {
    if (algorithm.kind === "pkcs1") {
      const opened = c.publicDecrypt({ key: publicKey, padding: c.constants.RSA_PKCS1_PADDING }, signature);
      return opened.equals(Buffer.concat([DIGEST_INFO[algorithm.hash], digest]));
    }
    if (algorithm.kind === "pss") {
      const modBits = publicKey.asymmetricKeyDetails!.modulusLength!;
      if (signature.length !== Math.ceil(modBits / 8)) return false;
      const em = c.publicDecrypt({ key: publicKey, padding: c.constants.RSA_NO_PADDING }, signature);
      return pssVerify(algorithm.hash, digest, em, modBits);
    }
    return ecdsaVerify(privateKey, digest, signature);
  } catch {
    return false;
  }
}

// ---- RSASSA-PSS --------------------------------------------------------------

function mgf1(hash: string, seed: Buffer, length: number): Buffer {
  const blocks: Buffer[] = [];
  let produced = 0;
  for (let counter = 0; produced < length; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = crypto().createHash(hash).update(seed).update(c).digest();
    blocks.push(block);
    produced += block.length;
  }
  return Buffer.concat(blocks).subarray(0, length);
}

function pssEncode(hash: string, mHash: Buffer, modBits: number): Buffer {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = mHash.length;
  const salt = crypto().randomBytes(hLen);
  const h = crypto().createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  const db = Buffer.concat([Buffer.alloc(emLen - 2 * hLen - 2), Buffer.from([1]), salt]);
  const masked = xor(db, mgf1(hash, h, emLen - hLen - 1));
  masked[0] &= 0xff >> (8 * emLen - emBits);
  return Buffer.concat([masked, h, Buffer.from([0xbc])]);
}

function pssVerify(hash: string, mHash: Buffer, decrypted: Buffer, modBits: number): boolean {
  const emBits = modBits - 1;
  const emLen = Math.ceil(emBits / 8);
  const hLen = mHash.length;
  const extra = decrypted.length - emLen;
  if (extra < 0 || decrypted.subarray(0, extra).some((b) => b !== 0)) return false;
  const em = decrypted.subarray(extra);
  if (em[em.length - 1] !== 0xbc) return false;
  const masked = em.subarray(0, emLen - hLen - 1);
  const h = em.subarray(emLen - hLen - 1, emLen - 1);
  const topMask = 0xff >> (8 * emLen - emBits);
  if ((masked[0] & ~topMask) !== 0) return false;
  const db = xor(masked, mgf1(hash, h, masked.length));
  db[0] &= topMask;
  const psLength = emLen - 2 * hLen - 2;
  if (db.subarray(0, psLength).some((b) => b !== 0) || db[psLength] !== 1) return false;
  const salt = db.subarray(psLength + 1);
  const expected = crypto().createHash(hash).update(Buffer.alloc(8)).update(mHash).update(salt).digest();
  return crypto().timingSafeEqual(expected, h);
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

function leftPad(bytes: Buffer, length: number): Buffer {
  return bytes.length >= length ? bytes : Buffer.concat([Buffer.alloc(length - bytes.length), bytes]);
}

// ---- ECDSA -------------------------------------------------------------------

interface Curve {
  name: string;
  n: bigint;
  nBits: number;
  nBytes: number;
}

function curveOf(key: KeyObject): Curve {
  const name = key.asymmetricKeyDetails?.namedCurve;
  const n = name ? ORDERS[name] : undefined;
  if (!name || n === undefined) throw new Error(`not a KMS curve: ${name}`);
  const nBits = n.toString(2).length;
  return { name, n, nBits, nBytes: Math.ceil(nBits / 8) };
}

const toBig = (bytes: Buffer): bigint => (bytes.length ? BigInt(`0x${bytes.toString("hex")}`) : 0n);

function toBytes(value: bigint, length: number): Buffer {
  return Buffer.from(value.toString(16).padStart(length * 2, "0"), "hex");
}

const mod = (a: bigint, n: bigint): bigint => ((a % n) + n) % n;

function inverse(a: bigint, n: bigint): bigint {
  let [r0, r1] = [mod(a, n), n];
  let [s0, s1] = [1n, 0n];
  while (r1 !== 0n) {
    const q = r0 / r1;
    [r0, r1] = [r1, r0 - q * r1];
    [s0, s1] = [s1, s0 - q * s1];
  }
  return mod(s0, n);
}

/** The x coordinate of scalar·G. */
function baseMultiplyX(curve: Curve, scalar: bigint): bigint {
  const ecdh = crypto().createECDH(curve.name);
  ecdh.setPrivateKey(toBytes(scalar, curve.nBytes));
  const point = ecdh.getPublicKey();
  return toBig(point.subarray(1, 1 + (point.length - 1) / 2));
}

/** The digest as an integer, cut to the order's length (SEC 1 §4.1.3 step 5). */
function digestInteger(curve: Curve, digest: Buffer): bigint {
  const e = toBig(digest);
  const excess = digest.length * 8 - curve.nBits;
  return excess > 0 ? e >> BigInt(excess) : e;
}

function privateScalar(key: KeyObject): bigint {
  return toBig(Buffer.from(key.export({ format: "jwk" }).d!, "base64url"));
}

function ecdsaSign(privateKey: KeyObject, digest: Buffer): Buffer {
  const curve = curveOf(privateKey);
  const d = privateScalar(privateKey);
  const e = digestInteger(curve, digest);
  for (;;) {
    const k = mod(toBig(crypto().randomBytes(curve.nBytes + 8)), curve.n - 1n) + 1n;
    const r = mod(baseMultiplyX(curve, k), curve.n);
    if (r === 0n) continue;
    const s = mod(inverse(k, curve.n) * (e + r * d), curve.n);
    if (s === 0n) continue;
    return derSignature(r, s);
  }
}

function ecdsaVerify(privateKey: KeyObject, digest: Buffer, signature: Buffer): boolean {
  const curve = curveOf(privateKey);
  const parsed = parseDerSignature(signature);
  if (!parsed) return false;
  const { r, s } = parsed;
  if (r <= 0n || r >= curve.n || s <= 0n || s >= curve.n) return false;
  const w = inverse(s, curve.n);
  const u1 = mod(digestInteger(curve, digest) * w, curve.n);
  const u2 = mod(r * w, curve.n);
  const scalar = mod(u1 + u2 * privateScalar(privateKey), curve.n);
  if (scalar === 0n) return false;
  return mod(baseMultiplyX(curve, scalar), curve.n) === r;
}

// ---- DER (SEQUENCE { INTEGER r, INTEGER s }) ----------------------------------

function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes = Buffer.from(length.toString(16).padStart(length > 0xff ? 4 : 2, "0"), "hex");
  return Buffer.concat([Buffer.from([0x80 | bytes.length]), bytes]);
}

function derInteger(value: bigint): Buffer {
  let hex = value.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Buffer.from(hex, "hex");
  if (bytes[0] & 0x80) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return Buffer.concat([Buffer.from([0x02]), derLength(bytes.length), bytes]);
}

function derSignature(r: bigint, s: bigint): Buffer {
  const body = Buffer.concat([derInteger(r), derInteger(s)]);
  return Buffer.concat([Buffer.from([0x30]), derLength(body.length), body]);
}

function parseDerSignature(der: Buffer): { r: bigint; s: bigint } | undefined {
  let offset = 0;
  const readLength = (): number | undefined => {
    const first = der[offset++];
    if (first === undefined) return undefined;
    if (first < 0x80) return first;
    const count = first & 0x7f;
    if (count < 1 || count > 2) return undefined;
    let length = 0;
    for (let i = 0; i < count; i++) length = (length << 8) | der[offset++];
    return length;
  };
  const readInteger = (): bigint | undefined => {
    if (der[offset++] !== 0x02) return undefined;
    const length = readLength();
    if (!length || offset + length > der.length) return undefined;
    const bytes = der.subarray(offset, offset + length);
    offset += length;
    if (bytes[0] & 0x80) return undefined;
    return toBig(bytes);
  };
  if (der[offset++] !== 0x30) return undefined;
  const total = readLength();
  if (total === undefined || offset + total !== der.length) return undefined;
  const r = readInteger();
  const s = readInteger();
  if (r === undefined || s === undefined || offset !== der.length) return undefined;
  return { r, s };
}
