/** KMS's records, per account and region: keys (with wrapped key material), aliases and grants. */
import type { Cloud } from "../../cloud.js";
import type { Scope, ScopedCollection } from "../../state/documents.js";
import type { KeySpecName, KeyUsageName } from "./specs.js";

export interface KeyMaterial {
  /** 64 hex characters, as AWS's KeyMaterialId. */
  id: string;
  /**
   * The secret, wrapped by the master key (base64): the 256-bit key of a
   * symmetric key, the HMAC key, or the private key (PKCS#8 DER) of a key pair.
   */
  wrapped: string;
  /** A key pair's public key, SubjectPublicKeyInfo DER (base64); it is not secret. */
  publicKey?: string;
  createdAt: Date;
}

export interface KeyRecord {
  KeyId: string;
  Arn: string;
  AWSAccountId: string;
  CreationDate: Date;
  Description: string;
  KeyUsage: KeyUsageName;
  KeySpec: KeySpecName;
  Origin: "AWS_KMS";
  KeyManager: "AWS" | "CUSTOMER";
  KeyState: "Enabled" | "Disabled" | "PendingDeletion";
  DeletionDate?: Date;
  PendingDeletionWindowInDays?: number;
  /** The state a key returns to when its deletion is cancelled (always Disabled, like AWS). */
  Policy: string;
  Tags: Array<{ TagKey: string; TagValue: string }>;
  /** Every key material the key ever had; the last one is current. */
  materials: KeyMaterial[];
  RotationEnabled: boolean;
  RotationPeriodInDays?: number;
  NextRotationDate?: Date;
  Rotations: Array<{ KeyMaterialId: string; RotationDate: Date; RotationType: "AUTOMATIC" | "ON_DEMAND" }>;
  /** For ListKeys paging: keys come back in creation order. */
  sequence: number;
}

export interface AliasRecord {
  AliasName: string;
  AliasArn: string;
  TargetKeyId: string;
  CreationDate: Date;
  LastUpdatedDate: Date;
}

export interface GrantRecord {
  GrantId: string;
  /** The key's id; its ARN is the one the grant lists. */
  KeyId: string;
  KeyArn: string;
  GranteePrincipal: string;
  RetiringPrincipal?: string;
  Operations: string[];
  Constraints?: { EncryptionContextSubset?: Record<string, string>; EncryptionContextEquals?: Record<string, string> };
  Name?: string;
  /** "arn:aws:iam::<account>:root" of the account the grant was created in. */
  IssuingAccount: string;
  CreationDate: Date;
  /** For ListGrants paging: grants come back in creation order. */
  sequence: number;
}

export class KmsStore {
  constructor(private readonly cloud: Cloud) {}

  keys(scope: Scope): ScopedCollection<KeyRecord> {
    return this.cloud.documents.collection<KeyRecord>("kms", "keys").scope(scope);
  }

  aliases(scope: Scope): ScopedCollection<AliasRecord> {
    return this.cloud.documents.collection<AliasRecord>("kms", "aliases").scope(scope);
  }

  /** Grants live in the scope of their key. */
  grants(scope: Scope): ScopedCollection<GrantRecord> {
    return this.cloud.documents.collection<GrantRecord>("kms", "grants").scope(scope);
  }
}
