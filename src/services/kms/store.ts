/** KMS's records, per account and region: keys (with wrapped key material) and aliases. */
import type { Cloud } from "../../cloud.js";
import type { Scope, ScopedCollection } from "../../state/documents.js";

export interface KeyMaterial {
  /** 64 hex characters, as AWS's KeyMaterialId. */
  id: string;
  /** The 256-bit key, wrapped by the master key (base64). */
  wrapped: string;
  createdAt: Date;
}

export interface KeyRecord {
  KeyId: string;
  Arn: string;
  AWSAccountId: string;
  CreationDate: Date;
  Description: string;
  KeyUsage: "ENCRYPT_DECRYPT";
  KeySpec: "SYMMETRIC_DEFAULT";
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

export class KmsStore {
  constructor(private readonly cloud: Cloud) {}

  keys(scope: Scope): ScopedCollection<KeyRecord> {
    return this.cloud.documents.collection<KeyRecord>("kms", "keys").scope(scope);
  }

  aliases(scope: Scope): ScopedCollection<AliasRecord> {
    return this.cloud.documents.collection<AliasRecord>("kms", "aliases").scope(scope);
  }
}
