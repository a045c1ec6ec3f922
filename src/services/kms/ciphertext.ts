/**
 * Symmetric ciphertext blobs. Like AWS's, a blob names the key that made it
 * (so Decrypt needs no KeyId) and the key material version; the encryption
 * context is authenticated, never stored. AES-256-GCM throughout.
 *
 *   01 02 02 00 | len | key id (utf8) | material index (u16) | iv (12) | tag (16) | ciphertext
 */
import { crypto } from "../../core/crypto.js";

const MAGIC = Buffer.from([0x01, 0x02, 0x02, 0x00]);
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SealedHeader {
  keyId: string;
  material: number;
}

/** Canonical form of an encryption context: keys sorted, so that order never matters. */
export function canonicalContext(context: Record<string, string> | undefined): string {
  if (!context) return "{}";
  return JSON.stringify(Object.keys(context).sort().map((k) => [k, context[k]]));
}

export function seal(key: Buffer, header: SealedHeader, plaintext: Buffer, context: Record<string, string> | undefined): Buffer {
  const id = Buffer.from(header.keyId, "utf8");
  const material = Buffer.alloc(2);
  material.writeUInt16BE(header.material);
  const iv = crypto().randomBytes(IV_BYTES);
  const cipher = crypto().createCipheriv("aes-256-gcm", key, iv);
  const prefix = Buffer.concat([MAGIC, Buffer.from([id.length]), id, material]);
  cipher.setAAD(Buffer.concat([prefix, Buffer.from(canonicalContext(context), "utf8")]));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([prefix, iv, cipher.getAuthTag(), body]);
}

/** The header of a blob, or undefined when it is not a Stratus KMS ciphertext. */
export function readHeader(blob: Buffer): (SealedHeader & { prefixLength: number }) | undefined {
  if (blob.length < MAGIC.length + 1 || !blob.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
  const idLength = blob[MAGIC.length];
  const prefixLength = MAGIC.length + 1 + idLength + 2;
  if (blob.length < prefixLength + IV_BYTES + TAG_BYTES) return undefined;
  const keyId = blob.subarray(MAGIC.length + 1, MAGIC.length + 1 + idLength).toString("utf8");
  return { keyId, material: blob.readUInt16BE(MAGIC.length + 1 + idLength), prefixLength };
}

/** The plaintext, or undefined when the blob, key or context do not match. */
export function open(key: Buffer, blob: Buffer, context: Record<string, string> | undefined): Buffer | undefined {
  const header = readHeader(blob);
  if (!header) return undefined;
  const { prefixLength } = header;
  try {
    const decipher = crypto().createDecipheriv("aes-256-gcm", key, blob.subarray(prefixLength, prefixLength + IV_BYTES));
    decipher.setAAD(Buffer.concat([blob.subarray(0, prefixLength), Buffer.from(canonicalContext(context), "utf8")]));
    decipher.setAuthTag(blob.subarray(prefixLength + IV_BYTES, prefixLength + IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(blob.subarray(prefixLength + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}
