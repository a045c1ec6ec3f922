/**
 * The key ring behind the KMS API and behind other services' use of KMS (S3's
 * SSE-KMS): finding a key by id, ARN, alias or alias ARN; AWS managed keys
 * (aws/s3 ...) created on first use; state checks; and the cryptography
 * (key material wrapped by the master key; blobs sealed with AES-256-GCM).
 */
import { crypto } from "../../core/crypto.js";
import type { Cloud } from "../../cloud.js";
import { arn as buildArn, parseArn, uuid } from "../../core/ids.js";
import type { Scope } from "../../state/documents.js";
import { open, readHeader, seal } from "./ciphertext.js";
import { KmsErrors } from "./errors.js";
import { KeyWrapper } from "./master-key.js";
import { KmsStore, type AliasRecord, type KeyMaterial, type KeyRecord } from "./store.js";

const KEY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** AWS managed keys Stratus creates on first use, with the descriptions AWS gives them. */
export const AWS_MANAGED_ALIASES: Record<string, string> = {
  "alias/aws/acm": "Default key that protects my ACM private keys when no other key is defined",
  "alias/aws/dynamodb": "Default key that protects my DynamoDB data when no other key is defined",
  "alias/aws/ebs": "Default key that protects my EBS volumes when no other key is defined",
  "alias/aws/elasticfilesystem": "Default key that protects my EFS filesystems when no other key is defined",
  "alias/aws/lambda": "Default key that protects my Lambda functions when no other key is defined",
  "alias/aws/rds": "Default key that protects my RDS database volumes when no other key is defined",
  "alias/aws/s3": "Default key that protects my S3 objects when no other key is defined",
  "alias/aws/secretsmanager": "Default key that protects my Secrets Manager data when no other key is defined",
  "alias/aws/sns": "Default key that protects my SNS data when no other key is defined",
  "alias/aws/sqs": "Default key that protects my SQS messages when no other key is defined",
  "alias/aws/ssm": "Default key that protects my SSM Parameter Store data when no other key is defined",
};

export interface Located {
  key: KeyRecord;
  scope: Scope;
}

export interface LocateOptions {
  /** Whether aliases and alias ARNs name a key here (DescribeKey, Encrypt...) or not (EnableKey...). */
  aliases: boolean;
}

export function defaultPolicy(account: string): string {
  return JSON.stringify(
    {
      Version: "2012-10-17",
      Id: "key-default-1",
      Statement: [
        {
          Sid: "Enable IAM User Permissions",
          Effect: "Allow",
          Principal: { AWS: `arn:aws:iam::${account}:root` },
          Action: "kms:*",
          Resource: "*",
        },
      ],
    },
    null,
    2,
  );
}

function awsManagedPolicy(account: string, service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Id: `auto-${service}-2`,
    Statement: [
      {
        Sid: `Allow access through ${service.toUpperCase()} for all principals in the account that are authorized to use ${service.toUpperCase()}`,
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
        Resource: "*",
        Condition: { StringEquals: { "kms:CallerAccount": account } },
      },
      {
        Sid: "Allow direct access to key metadata to the account",
        Effect: "Allow",
        Principal: { AWS: `arn:aws:iam::${account}:root` },
        Action: ["kms:Describe*", "kms:Get*", "kms:List*"],
        Resource: "*",
      },
    ],
  });
}

export class KeyRing {
  readonly store: KmsStore;
  private keyWrapper: KeyWrapper | undefined;

  constructor(private readonly cloud: Cloud) {
    this.store = new KmsStore(cloud);
  }

  /** Made on first use: reading (or creating) the master key is not start-up work. */
  private get wrapper(): KeyWrapper {
    return (this.keyWrapper ??= new KeyWrapper(this.cloud, "kms"));
  }

  keyArn(scope: Scope, keyId: string): string {
    return buildArn({ service: "kms", region: scope.region, account: scope.account, resource: `key/${keyId}` });
  }

  aliasArn(scope: Scope, aliasName: string): string {
    return buildArn({ service: "kms", region: scope.region, account: scope.account, resource: aliasName });
  }

  /** Finds a key by key id, key ARN, alias name or alias ARN (AWS managed aliases create their key). */
  locate(scope: Scope, ref: string, options: LocateOptions): Located {
    if (ref.startsWith("arn:")) {
      const parsed = parseArn(ref);
      if (!parsed || parsed.service !== "kms" || !parsed.account || !parsed.region) throw KmsErrors.invalidArn(ref);
      const arnScope = { account: parsed.account, region: parsed.region };
      if (parsed.resource.startsWith("key/")) return this.byId(arnScope, parsed.resource.slice(4));
      if (parsed.resource.startsWith("alias/") && options.aliases) return this.byAlias(arnScope, parsed.resource);
      throw KmsErrors.invalidArn(ref);
    }
    if (ref.startsWith("alias/")) {
      if (!options.aliases) throw KmsErrors.invalidKeyId(ref);
      return this.byAlias(scope, ref);
    }
    return this.byId(scope, ref);
  }

  /**
   * The key a reference names, or undefined; never creates an AWS managed key
   * (for deciding access before the operation runs).
   */
  find(scope: Scope, ref: string): KeyRecord | undefined {
    const aliasName = ref.startsWith("alias/") ? ref : /^arn:[^:]+:kms:[^:]*:[^:]*:(alias\/.+)$/.exec(ref)?.[1];
    if (aliasName) {
      const aliasScope = ref.startsWith("arn:") ? this.scopeOfArn(ref) ?? scope : scope;
      if (!this.store.aliases(aliasScope).has(aliasName)) return undefined;
    }
    try {
      return this.locate(scope, ref, { aliases: true }).key;
    } catch {
      return undefined;
    }
  }

  /** The key a symmetric ciphertext names, if it is one of ours. */
  keyOfBlob(scope: Scope, blob: Buffer | undefined): KeyRecord | undefined {
    const header = blob && readHeader(blob);
    return header && KEY_ID.test(header.keyId) ? this.store.keys(scope).get(header.keyId) : undefined;
  }

  private scopeOfArn(ref: string): Scope | undefined {
    const parsed = parseArn(ref);
    return parsed?.account && parsed.region ? { account: parsed.account, region: parsed.region } : undefined;
  }

  private byId(scope: Scope, keyId: string): Located {
    if (!KEY_ID.test(keyId)) throw KmsErrors.invalidKeyId(keyId);
    const key = this.store.keys(scope).get(keyId);
    if (!key) throw KmsErrors.keyNotFound(this.keyArn(scope, keyId));
    return { key, scope };
  }

  private byAlias(scope: Scope, aliasName: string): Located {
    const alias = this.store.aliases(scope).get(aliasName);
    if (alias) return this.byId(scope, alias.TargetKeyId);
    if (AWS_MANAGED_ALIASES[aliasName]) return { key: this.createAwsManaged(scope, aliasName), scope };
    throw KmsErrors.aliasNotFound(this.aliasArn(scope, aliasName));
  }

  /** The AWS managed key of a service ("s3" → alias/aws/s3), created on first use. */
  awsManagedKey(scope: Scope, service: string): KeyRecord {
    return this.locate(scope, `alias/aws/${service}`, { aliases: true }).key;
  }

  private createAwsManaged(scope: Scope, aliasName: string): KeyRecord {
    const service = aliasName.split("/")[2];
    return this.cloud.documents.transaction(() => {
      const existing = this.store.aliases(scope).get(aliasName);
      if (existing) return this.store.keys(scope).get(existing.TargetKeyId)!;
      const key = this.createKey(scope, {
        Description: AWS_MANAGED_ALIASES[aliasName],
        KeyManager: "AWS",
        Policy: awsManagedPolicy(scope.account, service),
        Tags: [],
      });
      this.putAlias(scope, aliasName, key.KeyId);
      return key;
    });
  }

  /**
   * Stores a new key. `material` is the key's secret (and public key) when the
   * caller made it (key pairs take a while: see asymmetric.ts); a symmetric
   * key gets 256 random bits.
   */
  createKey(
    scope: Scope,
    init: Pick<KeyRecord, "Description" | "KeyManager" | "Policy" | "Tags"> & Partial<Pick<KeyRecord, "KeySpec" | "KeyUsage">>,
    material?: { secret: Buffer; publicKey?: Buffer },
  ): KeyRecord {
    const keyId = uuid();
    const arn = this.keyArn(scope, keyId);
    const keys = this.store.keys(scope);
    const sequence = keys.values().reduce((max, k) => Math.max(max, k.sequence), 0) + 1;
    const record: KeyRecord = {
      KeyId: keyId,
      Arn: arn,
      AWSAccountId: scope.account,
      CreationDate: this.cloud.clock.date(),
      KeyUsage: "ENCRYPT_DECRYPT",
      KeySpec: "SYMMETRIC_DEFAULT",
      Origin: "AWS_KMS",
      KeyState: "Enabled",
      materials: [this.newMaterial(arn, material?.secret, material?.publicKey)],
      RotationEnabled: false,
      Rotations: [],
      sequence,
      ...init,
    };
    return keys.put(keyId, record);
  }

  newMaterial(keyArn: string, secret: Buffer = crypto().randomBytes(32), publicKey?: Buffer): KeyMaterial {
    return {
      id: crypto().randomBytes(32).toString("hex"),
      wrapped: this.wrapper.wrap(secret, keyArn).toString("base64"),
      publicKey: publicKey?.toString("base64"),
      createdAt: this.cloud.clock.date(),
    };
  }

  putAlias(scope: Scope, aliasName: string, keyId: string): AliasRecord {
    const now = this.cloud.clock.date();
    const record: AliasRecord = {
      AliasName: aliasName,
      AliasArn: this.aliasArn(scope, aliasName),
      TargetKeyId: keyId,
      CreationDate: now,
      LastUpdatedDate: now,
    };
    return this.store.aliases(scope).put(aliasName, record);
  }

  /** Throws AWS's error when a key cannot be used for cryptography now. */
  assertUsable(key: KeyRecord): void {
    if (key.KeyState === "Disabled") throw KmsErrors.disabled(key.Arn);
    if (key.KeyState === "PendingDeletion") throw KmsErrors.pendingDeletion(key.Arn);
  }

  /** Throws AWS's InvalidKeyUsageException when a key's usage is not the one an operation needs. */
  assertUsage(key: KeyRecord, usage: KeyRecord["KeyUsage"], operation: string): void {
    if (key.KeyUsage !== usage) throw KmsErrors.wrongUsage(key.Arn, key.KeyUsage, operation);
  }

  /** For the operations only symmetric encryption keys do (Encrypt with SYMMETRIC_DEFAULT, data keys...). */
  assertSymmetric(key: KeyRecord, operation: string): void {
    this.assertUsage(key, "ENCRYPT_DECRYPT", operation);
    if (key.KeySpec !== "SYMMETRIC_DEFAULT") throw KmsErrors.wrongSpec(key.Arn, key.KeySpec, operation);
  }

  /** The key's secret (key material index, by default the current one), unwrapped. */
  secret(key: KeyRecord, index = key.materials.length - 1): Buffer {
    const material = key.materials[index];
    const plain = material ? this.wrapper.unwrap(Buffer.from(material.wrapped, "base64"), key.Arn) : undefined;
    if (!plain) throw KmsErrors.invalidCiphertext();
    return plain;
  }

  encrypt(key: KeyRecord, plaintext: Buffer, context?: Record<string, string>): Buffer {
    this.assertUsable(key);
    const index = key.materials.length - 1;
    return seal(this.secret(key, index), { keyId: key.KeyId, material: index }, plaintext, context);
  }

  /**
   * Opens a blob. `scope` is where the caller is; the blob names its key.
   * `expected`, when given, must be the key the blob was made with.
   */
  decrypt(scope: Scope, blob: Buffer, context?: Record<string, string>, expected?: KeyRecord): { key: KeyRecord; plaintext: Buffer; materialId: string } {
    const header = readHeader(blob);
    if (!header || !KEY_ID.test(header.keyId)) throw KmsErrors.invalidCiphertext();
    const key = this.store.keys(scope).get(header.keyId);
    if (expected && expected.KeyId !== header.keyId) throw KmsErrors.incorrectKey();
    if (!key || key.KeySpec !== "SYMMETRIC_DEFAULT") throw KmsErrors.invalidCiphertext();
    this.assertUsable(key);
    const material = key.materials[header.material];
    if (!material) throw KmsErrors.invalidCiphertext();
    const plaintext = open(this.secret(key, header.material), blob, context);
    if (!plaintext) throw KmsErrors.invalidCiphertext();
    return { key, plaintext, materialId: material.id };
  }
}
