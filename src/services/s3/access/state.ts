/**
 * The access-control state of buckets and objects, with S3's defaults for
 * new buckets (since April 2023): Block Public Access fully on, Object
 * Ownership BucketOwnerEnforced (ACLs disabled), an owner-only ACL.
 */
import type { Cloud } from "../../../cloud.js";
import type { PublicAccessBlockConfiguration } from "../../../generated/s3.js";
import type { ScopedCollection } from "../../../state/documents.js";
import { BucketConfigs } from "../ext/configs.js";
import type { BucketRecord, ObjectVersion } from "../hooks.js";
import { cannedGrants, type StoredAcl } from "./acl.js";
import { parseBucketPolicy, type BucketPolicy } from "./policy.js";
import { isPolicyPublic } from "./public.js";

export interface PolicyDoc {
  text: string;
}

export interface BlockDoc {
  /** Undefined after DeletePublicAccessBlock. */
  config?: PublicAccessBlockConfiguration;
}

export interface OwnershipDoc {
  /** Undefined after DeleteBucketOwnershipControls (ACLs then work as with ObjectWriter). */
  rule?: "BucketOwnerEnforced" | "BucketOwnerPreferred" | "ObjectWriter";
}

export const DEFAULT_BLOCK: Required<PublicAccessBlockConfiguration> = {
  BlockPublicAcls: true,
  IgnorePublicAcls: true,
  BlockPublicPolicy: true,
  RestrictPublicBuckets: true,
};
const NO_BLOCK: PublicAccessBlockConfiguration = {};

/** How the access state reads object versions (the core's store). */
export interface VersionLookup {
  version(bucket: string, key: string, versionId?: string): ObjectVersion | undefined;
}

export class AccessState {
  readonly configs: BucketConfigs;
  private readonly parsed = new Map<string, { parsed: BucketPolicy; public: boolean }>();
  lookup: VersionLookup | undefined;

  constructor(
    private readonly cloud: Cloud,
    readonly canonicalId: (account: string) => string,
  ) {
    this.configs = new BucketConfigs(cloud);
  }

  get objectAcls(): ScopedCollection<StoredAcl> {
    return this.cloud.documents.collection<StoredAcl>("s3x", "object-acl").scope({ account: "global", region: "global" });
  }

  policy(bucket: string): { text: string; parsed: BucketPolicy; public: boolean } | undefined {
    const doc = this.configs.get<PolicyDoc>("policy", bucket);
    if (!doc) return undefined;
    let entry = this.parsed.get(doc.text);
    if (!entry) {
      const parsed = parseBucketPolicy(doc.text, bucket);
      entry = { parsed, public: isPolicyPublic(parsed) };
      if (this.parsed.size > 1000) this.parsed.clear();
      this.parsed.set(doc.text, entry);
    }
    return { text: doc.text, ...entry };
  }

  publicAccessBlock(bucket: string): PublicAccessBlockConfiguration {
    const doc = this.configs.get<BlockDoc>("public-access-block", bucket);
    if (!doc) return DEFAULT_BLOCK;
    return doc.config ?? NO_BLOCK;
  }

  ownership(bucket: string): OwnershipDoc["rule"] {
    const doc = this.configs.get<OwnershipDoc>("ownership", bucket);
    return doc ? doc.rule : "BucketOwnerEnforced";
  }

  /** Whether ACLs count for access (Object Ownership is not BucketOwnerEnforced). */
  aclsApply(bucket: string): boolean {
    return this.ownership(bucket) !== "BucketOwnerEnforced";
  }

  ownerAcl(account: string): StoredAcl {
    const id = this.canonicalId(account);
    return { ownerId: id, ownerName: account, grants: cannedGrants("private", id, account) };
  }

  bucketAcl(bucket: BucketRecord): StoredAcl {
    return this.configs.get<StoredAcl>("bucket-acl", bucket.name) ?? this.ownerAcl(bucket.account);
  }

  private objectAclId(bucket: string, key: string, versionId: string): string {
    return JSON.stringify([bucket, key, versionId]);
  }

  /** The ACL of an object version (undefined when the object does not exist). */
  objectAcl(bucket: BucketRecord, key: string, versionId?: string): StoredAcl | undefined {
    const version = this.lookup?.version(bucket.name, key, versionId);
    if (!version || version.deleteMarker) return undefined;
    return this.objectAcls.get(this.objectAclId(bucket.name, key, version.versionId)) ?? this.ownerAcl(version.owner);
  }

  putObjectAcl(bucket: string, key: string, versionId: string, acl: StoredAcl): void {
    this.objectAcls.put(this.objectAclId(bucket, key, versionId), acl);
  }

  dropObjectAcl(bucket: string, key: string, versionId: string): void {
    this.objectAcls.delete(this.objectAclId(bucket, key, versionId));
  }

  objectTags(bucket: string, key: string, versionId?: string): Array<{ Key: string; Value: string }> {
    const version = this.lookup?.version(bucket, key, versionId);
    return version && !version.deleteMarker ? version.tags : [];
  }
}
