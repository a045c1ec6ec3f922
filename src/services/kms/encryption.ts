/**
 * Encrypt, Decrypt and ReEncrypt's cryptography for the two kinds of keys
 * that encrypt: symmetric keys (Stratus's AES-256-GCM blobs, which name their
 * key and bind the encryption context) and RSA ENCRYPT_DECRYPT key pairs
 * (plain RSAES-OAEP, which anyone can make with the public key; Decrypt must
 * name the key). The checks come in AWS's order and DryRun stops after them.
 */
import { rsaDecrypt, rsaEncrypt } from "./asymmetric.js";
import { readHeader } from "./ciphertext.js";
import { KmsErrors } from "./errors.js";
import type { KeyRing } from "./keys.js";
import { isSymmetric, RSA_ENCRYPTION, rsaPlaintextLimit } from "./specs.js";
import type { KeyRecord } from "./store.js";
import type { Scope } from "../../state/documents.js";

export interface Sealed {
  blob: Buffer;
  algorithm: string;
  /** The key material of a symmetric key (AWS names none for RSA keys). */
  materialId?: string;
}

export interface Opened {
  key: KeyRecord;
  plaintext: Buffer;
  algorithm: string;
  materialId?: string;
}

interface Options {
  algorithm?: string;
  context?: Record<string, string>;
  operation: string;
  dryRun?: boolean;
}

export class Encryption {
  constructor(private readonly ring: KeyRing) {}

  encrypt(key: KeyRecord, plaintext: Buffer, options: Options): Sealed {
    this.ring.assertUsage(key, "ENCRYPT_DECRYPT", options.operation);
    if (isSymmetric(key)) {
      checkSymmetricAlgorithm(options.algorithm);
      this.ring.assertUsable(key);
      if (options.dryRun) throw KmsErrors.dryRun();
      return { blob: this.ring.encrypt(key, plaintext, options.context), algorithm: "SYMMETRIC_DEFAULT", materialId: key.materials[key.materials.length - 1]?.id };
    }
    const algorithm = this.rsaAlgorithm(key, options);
    const limit = rsaPlaintextLimit(key.KeySpec, algorithm);
    if (plaintext.length > limit) throw KmsErrors.plaintextTooLarge(algorithm, key.KeySpec, limit);
    this.ring.assertUsable(key);
    if (options.dryRun) throw KmsErrors.dryRun();
    const publicKey = Buffer.from(key.materials[key.materials.length - 1].publicKey!, "base64");
    return { blob: rsaEncrypt(publicKey, algorithm, plaintext), algorithm };
  }

  /** Opens a blob; `expected` is the key the request names (required for RSA ciphertexts, which name none). */
  decrypt(scope: Scope, blob: Buffer, expected: KeyRecord | undefined, options: Options): Opened {
    if (!expected || isSymmetric(expected)) {
      checkSymmetricAlgorithm(options.algorithm);
      const { key, plaintext, materialId } = this.ring.decrypt(scope, blob, options.context, expected);
      if (options.dryRun) throw KmsErrors.dryRun();
      return { key, plaintext, algorithm: "SYMMETRIC_DEFAULT", materialId };
    }
    // A symmetric blob names its key: naming another key is AWS's IncorrectKeyException.
    const header = readHeader(blob);
    if (header && header.keyId !== expected.KeyId) throw KmsErrors.incorrectKey();
    this.ring.assertUsage(expected, "ENCRYPT_DECRYPT", options.operation);
    const algorithm = this.rsaAlgorithm(expected, options);
    this.ring.assertUsable(expected);
    const plaintext = rsaDecrypt(this.ring.secret(expected), algorithm, blob);
    if (!plaintext) throw KmsErrors.invalidCiphertext();
    if (options.dryRun) throw KmsErrors.dryRun();
    return { key: expected, plaintext, algorithm };
  }

  private rsaAlgorithm(key: KeyRecord, options: Options): string {
    const algorithm = options.algorithm ?? "SYMMETRIC_DEFAULT";
    if (!RSA_ENCRYPTION[algorithm]) throw KmsErrors.incompatibleAlgorithm(algorithm, key.KeySpec);
    if (options.context && Object.keys(options.context).length > 0) {
      throw KmsErrors.validation("EncryptionContext is not supported with asymmetric KMS keys: their encryption algorithms take no encryption context.");
    }
    return algorithm;
  }
}

function checkSymmetricAlgorithm(algorithm: string | undefined): void {
  if (algorithm && algorithm !== "SYMMETRIC_DEFAULT") {
    throw KmsErrors.invalidUsage(`The encryption algorithm ${algorithm} is not compatible with the type of the specified KMS key.`);
  }
}
