/**
 * The cryptography of key pairs, with node:crypto: generating RSA and EC key
 * pairs (KMS keys and data key pairs), signing and verifying (RAW messages
 * hashed by node:crypto, digests in prehashed.ts), and RSAES-OAEP. Keys come
 * and go as DER: PKCS#8 for private keys, SubjectPublicKeyInfo for public ones.
 */
import type { KeyObject } from "node:crypto";
import { crypto } from "../../core/crypto.js";
import { signDigest, verifyDigest } from "./prehashed.js";
import { CURVES, RSA_BITS, SIGNING, RSA_ENCRYPTION, type KeySpecName } from "./specs.js";

export interface KeyPair {
  /** PKCS#8 DER. */
  privateKey: Buffer;
  /** SubjectPublicKeyInfo DER. */
  publicKey: Buffer;
}

const DER = { publicKeyEncoding: { type: "spki", format: "der" }, privateKeyEncoding: { type: "pkcs8", format: "der" } } as const;

/**
 * A fresh key pair of a KMS key spec (or ECC_NIST_EDWARDS25519, a data key
 * pair spec). Generated on the thread pool: an RSA_4096 key takes long enough
 * that the event loop must not wait for it.
 */
export function generateKeyPair(spec: KeySpecName | "ECC_NIST_EDWARDS25519"): Promise<KeyPair> {
  const c = crypto();
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, publicKey: Buffer, privateKey: Buffer) => (error ? reject(error) : resolve({ publicKey, privateKey }));
    if (spec === "ECC_NIST_EDWARDS25519") return c.generateKeyPair("ed25519", DER, done);
    const bits = RSA_BITS[spec as KeySpecName];
    if (bits) return c.generateKeyPair("rsa", { modulusLength: bits, publicExponent: 0x10001, ...DER }, done);
    const curve = CURVES[spec as KeySpecName];
    if (curve) return c.generateKeyPair("ec", { namedCurve: curve, ...DER }, done);
    reject(new Error(`no key pair for ${spec}`));
  });
}

export function privateKeyObject(pkcs8: Buffer): KeyObject {
  return crypto().createPrivateKey({ key: pkcs8, format: "der", type: "pkcs8" });
}

function signOptions(algorithmName: string, key: KeyObject) {
  const algorithm = SIGNING[algorithmName];
  const c = crypto();
  if (algorithm.kind === "pss") return { key, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.digestBytes };
  if (algorithm.kind === "pkcs1") return { key, padding: c.constants.RSA_PKCS1_PADDING };
  return { key, dsaEncoding: "der" as const };
}

/** A signature over a message (RAW) or over its digest (DIGEST), as KMS makes it. */
export function sign(pkcs8: Buffer, algorithmName: string, message: Buffer, messageType: "RAW" | "DIGEST"): Buffer {
  const key = privateKeyObject(pkcs8);
  const algorithm = SIGNING[algorithmName];
  if (messageType === "DIGEST") return signDigest(algorithm, key, message);
  return crypto().sign(algorithm.hash, message, signOptions(algorithmName, key));
}

export function verify(pkcs8: Buffer, algorithmName: string, message: Buffer, messageType: "RAW" | "DIGEST", signature: Buffer): boolean {
  const key = privateKeyObject(pkcs8);
  const algorithm = SIGNING[algorithmName];
  if (messageType === "DIGEST") return verifyDigest(algorithm, key, message, signature);
  try {
    return crypto().verify(algorithm.hash, message, signOptions(algorithmName, crypto().createPublicKey(key)), signature);
  } catch {
    return false;
  }
}

function oaep(key: KeyObject, algorithmName: string) {
  return { key, padding: crypto().constants.RSA_PKCS1_OAEP_PADDING, oaepHash: RSA_ENCRYPTION[algorithmName] };
}

/** RSAES-OAEP with the public key (MGF1 uses the same hash, as in KMS). */
export function rsaEncrypt(publicKeyDer: Buffer, algorithmName: string, plaintext: Buffer): Buffer {
  const key = crypto().createPublicKey({ key: publicKeyDer, format: "der", type: "spki" });
  return crypto().publicEncrypt(oaep(key, algorithmName), plaintext);
}

/** The plaintext, or undefined when the ciphertext was not made with this key and algorithm. */
export function rsaDecrypt(pkcs8: Buffer, algorithmName: string, ciphertext: Buffer): Buffer | undefined {
  try {
    return crypto().privateDecrypt(oaep(privateKeyObject(pkcs8), algorithmName), ciphertext);
  } catch {
    return undefined;
  }
}
