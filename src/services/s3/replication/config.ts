/**
 * Replication configuration validation with S3's rules: versioning on the
 * source and every destination, the role exists, destinations exist,
 * V2 rules (Filter) need Priority (unique) and DeleteMarkerReplication,
 * no delete-marker replication with tag filters, RTC with metrics at
 * 15 minutes, a replica KMS key when SSE-KMS objects are selected.
 * Also: which rule applies to an object.
 */
import { crypto } from "../../../core/crypto.js";
import { AwsError } from "../../../core/errors.js";
import type { ReplicationConfiguration, ReplicationRule, Tag } from "../../../generated/s3.js";

const invalidRequest = (message: string) => new AwsError("InvalidRequest", message, { status: 400 });
const invalidArgument = (message: string) => new AwsError("InvalidArgument", message, { status: 400 });
const malformedXml = () =>
  new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", { status: 400 });

export interface DestinationFacts {
  exists: boolean;
  versioning?: "Enabled" | "Suspended";
  region?: string;
}

export interface ReplicationEnvironment {
  sourceBucket: string;
  sourceVersioning?: "Enabled" | "Suspended";
  roleExists(roleArn: string): boolean;
  destination(bucketName: string): DestinationFacts;
  kmsKeyExists?(keyRef: string): boolean;
}

/** "arn:aws:s3:::name" → "name" (undefined when it is not a bucket ARN). */
export function bucketFromArn(arn: string): string | undefined {
  const match = /^arn:aws[a-z-]*:s3:::([^/]+)$/.exec(arn);
  return match?.[1];
}

function ruleTags(rule: ReplicationRule): Tag[] {
  const f = rule.Filter;
  if (!f) return [];
  if (f.And) return f.And.Tags ?? [];
  return f.Tag ? [f.Tag] : [];
}

/** Validates and normalises (rule IDs filled in like S3 does) a replication configuration. */
export function validateReplication(config: ReplicationConfiguration, env: ReplicationEnvironment): ReplicationConfiguration {
  if (env.sourceVersioning !== "Enabled") throw invalidRequest("Versioning must be 'Enabled' on the bucket to apply a replication configuration");
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(config.Role ?? "")) throw invalidArgument("Invalid Role specified in replication configuration");
  if (!env.roleExists(config.Role)) throw invalidArgument("Invalid Role specified in replication configuration");
  const rules = config.Rules ?? [];
  if (rules.length === 0) throw malformedXml();
  if (rules.length > 1000) throw invalidArgument("Number of rules in the replication configuration exceeds the limit of 1000");
  const v2 = rules.some((r) => r.Filter !== undefined || r.Priority !== undefined || r.DeleteMarkerReplication !== undefined);
  const ids = new Set<string>();
  const priorities = new Set<number>();
  const normalised: ReplicationRule[] = [];
  for (const rule of rules) {
    if (rule.Status !== "Enabled" && rule.Status !== "Disabled") throw malformedXml();
    if (rule.ID !== undefined) {
      if (rule.ID.length > 255) throw invalidArgument("ID length should not exceed allowed limit of 255");
      if (ids.has(rule.ID)) throw invalidArgument("Rule Id must be unique");
      ids.add(rule.ID);
    }
    if (rule.Filter !== undefined && rule.Prefix !== undefined) throw malformedXml();
    if (v2) {
      if (rule.Prefix !== undefined) throw malformedXml();
      if (rule.Priority === undefined) throw invalidRequest("Priority must be specified for this version of Cross Region Replication configuration schema. Please refer to S3 Developer Guide for more information.");
      if (rule.DeleteMarkerReplication === undefined) throw invalidRequest("DeleteMarkerReplication must be specified for this version of Cross Region Replication configuration schema. Please refer to S3 Developer Guide for more information.");
      if (priorities.has(rule.Priority)) throw invalidRequest("Found duplicate priority " + rule.Priority + " for rules in the replication configuration");
      priorities.add(rule.Priority);
      const f = rule.Filter;
      if (f) {
        const predicates = [f.Prefix !== undefined, f.Tag !== undefined, f.And !== undefined].filter(Boolean).length;
        if (predicates > 1) throw malformedXml();
      }
      if (rule.DeleteMarkerReplication.Status === "Enabled" && ruleTags(rule).length > 0) {
        throw invalidRequest("Delete marker replication is not supported if any Tag filter is specified. Please refer to S3 Developer Guide for more information.");
      }
    } else if (rule.Prefix === undefined) {
      throw malformedXml();
    }
    const destination = rule.Destination;
    const target = bucketFromArn(destination?.Bucket ?? "");
    if (!target) throw invalidArgument("Invalid bucket ARN " + (destination?.Bucket ?? ""));
    if (target === env.sourceBucket) throw invalidRequest("Destination bucket cannot be the same as the source bucket.");
    const facts = env.destination(target);
    if (!facts.exists) throw invalidRequest("Destination bucket must exist.");
    if (facts.versioning !== "Enabled") throw invalidRequest("Destination bucket must have versioning enabled.");
    const rtc = destination.ReplicationTime;
    const metrics = destination.Metrics;
    if (rtc?.Status === "Enabled") {
      if (rtc.Time?.Minutes !== 15) throw invalidArgument("Replication Time Control (RTC) must be 15 minutes.");
      if (metrics?.Status !== "Enabled") throw invalidRequest("Replication Time Control (RTC) requires replication metrics to be enabled.");
    }
    if (metrics?.Status === "Enabled" && metrics.EventThreshold && metrics.EventThreshold.Minutes !== 15) {
      throw invalidArgument("Replication metrics EventThreshold must be 15 minutes.");
    }
    if (destination.AccessControlTranslation && !destination.Account) {
      throw invalidRequest("Destination Account must be specified when AccessControlTranslation is specified.");
    }
    const sseKms = rule.SourceSelectionCriteria?.SseKmsEncryptedObjects?.Status === "Enabled";
    const replicaKey = destination.EncryptionConfiguration?.ReplicaKmsKeyID;
    if (sseKms && !replicaKey) throw invalidRequest("ReplicaKmsKeyID must be specified if SseKmsEncryptedObjects tag is present.");
    if (replicaKey && !sseKms) throw invalidRequest("SseKmsEncryptedObjects must be specified if EncryptionConfiguration is present.");
    if (replicaKey && env.kmsKeyExists && !env.kmsKeyExists(replicaKey)) throw invalidArgument("Invalid ReplicaKmsKeyID " + replicaKey);
    normalised.push({ ...rule, ID: rule.ID ?? crypto().randomBytes(36).toString("base64") });
  }
  return { Role: config.Role, Rules: normalised };
}

export interface ObjectFacts {
  key: string;
  tags: Array<{ Key: string; Value: string }>;
}

function filterMatches(rule: ReplicationRule, object: ObjectFacts): boolean {
  const f = rule.Filter;
  if (!f) return object.key.startsWith(rule.Prefix ?? "");
  const prefix = f.And ? f.And.Prefix : f.Prefix;
  if (prefix !== undefined && !object.key.startsWith(prefix)) return false;
  return ruleTags(rule).every((t) => object.tags.some((o) => o.Key === t.Key && o.Value === t.Value));
}

/** The rule that replicates an object to each destination: the matching enabled rule of highest priority. */
export function rulesFor(config: ReplicationConfiguration, object: ObjectFacts): ReplicationRule[] {
  const best = new Map<string, ReplicationRule>();
  for (const rule of config.Rules) {
    if (rule.Status !== "Enabled" || !filterMatches(rule, object)) continue;
    const current = best.get(rule.Destination.Bucket);
    if (!current || (rule.Priority ?? 0) > (current.Priority ?? 0)) best.set(rule.Destination.Bucket, rule);
  }
  return [...best.values()];
}

/** Rules that replicate a delete marker for a key (DeleteMarkerReplication Enabled; tag filters never do). */
export function deleteMarkerRulesFor(config: ReplicationConfiguration, key: string): ReplicationRule[] {
  return rulesFor(config, { key, tags: [] }).filter((r) => r.DeleteMarkerReplication?.Status === "Enabled" && ruleTags(r).length === 0);
}
