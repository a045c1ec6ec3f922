/**
 * Per-bucket configurations the s3x extensions own (encryption, policy,
 * public access block, ownership, ACLs, lifecycle, replication, CORS, tags).
 * Bucket names are global, so every document lives in one scope, keyed by
 * bucket name; a bucket's documents go when the bucket goes.
 */
import type { Cloud } from "../../../cloud.js";
import type { ScopedCollection } from "../../../state/documents.js";

const GLOBAL = { account: "global", region: "global" };

export type ConfigKind =
  | "encryption"
  | "policy"
  | "public-access-block"
  | "ownership"
  | "bucket-acl"
  | "lifecycle"
  | "replication"
  | "cors"
  | "tagging"
  | "object-lock"
  | "accelerate"
  | "request-payment"
  | "logging"
  | "website"
  | "notification"
  | "metrics"
  | "inventory"
  | "intelligent-tiering";

export const CONFIG_KINDS: ConfigKind[] = [
  "encryption",
  "policy",
  "public-access-block",
  "ownership",
  "bucket-acl",
  "lifecycle",
  "replication",
  "cors",
  "tagging",
  "object-lock",
  "accelerate",
  "request-payment",
  "logging",
  "website",
  "notification",
  "metrics",
  "inventory",
  "intelligent-tiering",
];

export class BucketConfigs {
  constructor(private readonly cloud: Cloud) {}

  of<T>(kind: ConfigKind): ScopedCollection<T> {
    return this.cloud.documents.collection<T>("s3x", kind).scope(GLOBAL);
  }

  get<T>(kind: ConfigKind, bucket: string): T | undefined {
    return this.of<T>(kind).get(bucket);
  }

  put<T>(kind: ConfigKind, bucket: string, value: T): void {
    this.of<T>(kind).put(bucket, value);
  }

  delete(kind: ConfigKind, bucket: string): boolean {
    return this.of(kind).delete(bucket);
  }

  /** Drops every configuration of a deleted bucket. */
  dropBucket(bucket: string): void {
    for (const kind of CONFIG_KINDS) this.of(kind).delete(bucket);
  }
}
