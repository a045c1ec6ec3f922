/**
 * The root of Stratus's encryption at rest: 32 random bytes in a file of the
 * data dir (mode 0600), created on first use. Nothing else ever stores a key
 * in the clear: KMS key material and S3 object data keys are wrapped with
 * subkeys derived from it (HKDF-SHA256, one "purpose" label per use), with
 * AES-256-GCM so that a wrapped key that was tampered with fails to unwrap.
 */
import { crypto, randomKeyBytes } from "../../core/crypto.js";
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from "node:fs";
import path from "node:path";
import type { Cloud } from "../../cloud.js";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The file that holds the master key: next to the blobs dir, so it survives a reset but not the data dir. */
export function masterKeyPath(cloud: Cloud): string {
  return path.join(path.dirname(cloud.blobsDir), "keys", "master.key");
}

function loadOrCreate(file: string): Buffer {
  let key: Buffer;
  try {
    key = readFileSync(file);
    if (key.length !== KEY_BYTES) throw new Error(`${file} is not a Stratus master key (${key.length} bytes)`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    key = crypto().randomBytes(KEY_BYTES);
    const temp = `${file}.${process.pid}.tmp`;
    const fd = openSync(temp, "w", 0o600);
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temp, file);
  }
  return key;
}

/** A key wrapper for one purpose ("kms", "s3-sse"): wrap/unwrap small secrets bound to a context. */
export class KeyWrapper {
  private readonly kek: Buffer;

  constructor(cloud: Cloud, purpose: string) {
    const master = loadOrCreate(masterKeyPath(cloud));
    this.kek = Buffer.from(crypto().hkdfSync("sha256", master, Buffer.alloc(0), `stratus/${purpose}`, KEY_BYTES));
  }

  /** iv ‖ tag ‖ ciphertext; `context` is authenticated (a wrapped key only opens for the same context). */
  wrap(secret: Buffer, context: string): Buffer {
    const iv = randomKeyBytes(IV_BYTES);
    const cipher = crypto().createCipheriv("aes-256-gcm", this.kek, iv);
    cipher.setAAD(Buffer.from(context, "utf8"));
    const body = Buffer.concat([cipher.update(secret), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]);
  }

  /** The secret, or undefined when the blob was not wrapped by this wrapper for this context. */
  unwrap(blob: Buffer, context: string): Buffer | undefined {
    if (blob.length < IV_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = crypto().createDecipheriv("aes-256-gcm", this.kek, blob.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(context, "utf8"));
      decipher.setAuthTag(blob.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(blob.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    } catch {
      return undefined;
    }
  }
}
