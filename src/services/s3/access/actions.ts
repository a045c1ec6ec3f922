/** S3's IAM actions and the resource type each applies to (for policy validation). */

const OBJECT_ACTIONS = [
  "AbortMultipartUpload", "BypassGovernanceRetention", "DeleteObject", "DeleteObjectTagging", "DeleteObjectVersion",
  "DeleteObjectVersionTagging", "GetObject", "GetObjectAcl", "GetObjectAttributes", "GetObjectLegalHold", "GetObjectRetention",
  "GetObjectTagging", "GetObjectTorrent", "GetObjectVersion", "GetObjectVersionAcl", "GetObjectVersionAttributes",
  "GetObjectVersionForReplication", "GetObjectVersionTagging", "GetObjectVersionTorrent", "InitiateReplication",
  "ListMultipartUploadParts", "ObjectOwnerOverrideToBucketOwner", "PutObject", "PutObjectAcl", "PutObjectLegalHold",
  "PutObjectRetention", "PutObjectTagging", "PutObjectVersionAcl", "PutObjectVersionTagging", "ReplicateDelete",
  "ReplicateObject", "ReplicateTags", "RestoreObject",
];

const BUCKET_ACTIONS = [
  "CreateBucket", "DeleteBucket", "DeleteBucketOwnershipControls", "DeleteBucketPolicy", "DeleteBucketWebsite",
  "GetAccelerateConfiguration", "GetAnalyticsConfiguration", "GetBucketAcl", "GetBucketCORS", "GetBucketLocation",
  "GetBucketLogging", "GetBucketNotification", "GetBucketObjectLockConfiguration", "GetBucketOwnershipControls",
  "GetBucketPolicy", "GetBucketPolicyStatus", "GetBucketPublicAccessBlock", "GetBucketRequestPayment", "GetBucketTagging",
  "GetBucketVersioning", "GetBucketWebsite", "GetEncryptionConfiguration", "GetIntelligentTieringConfiguration",
  "GetInventoryConfiguration", "GetLifecycleConfiguration", "GetMetricsConfiguration", "GetReplicationConfiguration",
  "ListBucket", "ListBucketMultipartUploads", "ListBucketVersions", "PutAccelerateConfiguration",
  "PutAnalyticsConfiguration", "PutBucketAcl", "PutBucketCORS", "PutBucketLogging", "PutBucketNotification",
  "PutBucketObjectLockConfiguration", "PutBucketOwnershipControls", "PutBucketPolicy", "PutBucketPublicAccessBlock",
  "PutBucketRequestPayment", "PutBucketTagging", "PutBucketVersioning", "PutBucketWebsite", "PutEncryptionConfiguration",
  "PutIntelligentTieringConfiguration", "PutInventoryConfiguration", "PutLifecycleConfiguration", "PutMetricsConfiguration",
  "PutReplicationConfiguration",
];

const ACCOUNT_ACTIONS = ["ListAllMyBuckets", "GetAccountPublicAccessBlock", "PutAccountPublicAccessBlock", "CreateJob", "ListJobs"];

export type ResourceKind = "object" | "bucket" | "account";

const KIND = new Map<string, ResourceKind>();
for (const a of OBJECT_ACTIONS) KIND.set(a.toLowerCase(), "object");
for (const a of BUCKET_ACTIONS) KIND.set(a.toLowerCase(), "bucket");
for (const a of ACCOUNT_ACTIONS) KIND.set(a.toLowerCase(), "account");

/** The resource kind of "s3:Name" (case-insensitive), or undefined for an unknown action. */
export function actionKind(action: string): ResourceKind | undefined {
  const lower = action.toLowerCase();
  if (!lower.startsWith("s3:")) return undefined;
  return KIND.get(lower.slice(3));
}

/** Every known action matching a pattern (for "does this wildcard apply to a resource kind"). */
export function actionsMatching(test: (action: string) => boolean): string[] {
  return [...OBJECT_ACTIONS, ...BUCKET_ACTIONS, ...ACCOUNT_ACTIONS].map((a) => `s3:${a}`).filter(test);
}
