/**
 * What other services (S3's SSE-KMS) may ask of KMS, through
 * `cloud.provider<KmsApi>("kms")`. Errors are KMS's own AwsErrors
 * (NotFoundException, DisabledException, KMSInvalidStateException...);
 * callers translate them into their service's form.
 */
import type { Scope } from "../../state/documents.js";

export interface DataKey {
  keyArn: string;
  /** 32 bytes; never stored. */
  plaintext: Buffer;
  /** The data key sealed under the KMS key; store this. */
  ciphertext: Buffer;
}

export interface KmsApi {
  /** A fresh 256-bit data key under keyRef (id, ARN, alias, alias ARN), or under alias/aws/<service> when none. */
  generateDataKeyFor(scope: Scope, keyRef: string | undefined, service: string, context?: Record<string, string>): DataKey;
  /** Opens a sealed data key (the blob names its key); fails if the key is disabled or gone. */
  decryptDataKeyFor(scope: Scope, ciphertext: Buffer, context?: Record<string, string>): { keyArn: string; plaintext: Buffer };
  /** Resolves a key reference without using it. */
  describeKeyFor(scope: Scope, keyRef: string): { keyArn: string; keyId: string; enabled: boolean };
}
