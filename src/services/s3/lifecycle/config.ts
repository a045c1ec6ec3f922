/**
 * Lifecycle configuration validation, with S3's rules, error codes and
 * wording: Days vs Date (midnight GMT), minimum days for the IA classes,
 * transitions down the storage-class waterfall with the minimum stay of
 * the class left, expiration after transitions, unique rule IDs of at most
 * 255 characters, the Filter forms, NewerNoncurrentVersions, and the
 * actions that cannot be combined with tag or size filters.
 */
import { AwsError } from "../../../core/errors.js";
import type { LifecycleRule, LifecycleRuleFilter, Tag, Transition, NoncurrentVersionTransition } from "../../../generated/s3.js";

export type TransitionDefaultMinimumObjectSize = "varies_by_storage_class" | "all_storage_classes_128K";

export interface LifecycleConfig {
  Rules: LifecycleRule[];
  TransitionDefaultMinimumObjectSize: TransitionDefaultMinimumObjectSize;
}

/** The storage-class waterfall: lifecycle only ever moves objects down it. */
export const CLASS_RANK: Record<string, number> = {
  STANDARD: 0,
  REDUCED_REDUNDANCY: 0,
  STANDARD_IA: 1,
  INTELLIGENT_TIERING: 2,
  ONEZONE_IA: 3,
  GLACIER_IR: 4,
  GLACIER: 5,
  DEEP_ARCHIVE: 6,
};

/** Days an object must stay in a class before a rule may move it further down. */
const MINIMUM_STAY: Record<string, number> = { STANDARD_IA: 30, ONEZONE_IA: 30, GLACIER_IR: 90 };

const MAX_RULES = 1000;

const invalidArgument = (message: string) => new AwsError("InvalidArgument", message, { status: 400 });
const invalidRequest = (message: string) => new AwsError("InvalidRequest", message, { status: 400 });
export const malformedXml = () =>
  new AwsError("MalformedXML", "The XML you provided was not well-formed or did not validate against our published schema", { status: 400 });

/** How S3 names a rule's filter in its messages: "(prefix=logs/ and tag={key=a, value=b})". */
export function describeFilter(rule: LifecycleRule): string {
  const parts: string[] = [];
  const f = rule.Filter;
  const add = (prefix?: string, tags?: Tag[], gt?: number, lt?: number) => {
    if (prefix !== undefined) parts.push(`prefix=${prefix}`);
    for (const t of tags ?? []) parts.push(`tag={key=${t.Key}, value=${t.Value}}`);
    if (gt !== undefined) parts.push(`objectsizegreaterthan=${gt}`);
    if (lt !== undefined) parts.push(`objectsizelessthan=${lt}`);
  };
  if (!f) add(rule.Prefix ?? "");
  else if (f.And) add(f.And.Prefix, f.And.Tags, f.And.ObjectSizeGreaterThan, f.And.ObjectSizeLessThan);
  else add(f.Prefix, f.Tag ? [f.Tag] : undefined, f.ObjectSizeGreaterThan, f.ObjectSizeLessThan);
  if (parts.length === 0) parts.push("prefix=");
  return `(${parts.join(" and ")})`;
}

function isMidnightUtc(date: Date): boolean {
  return date.getTime() % 86_400_000 === 0;
}

function filterTags(filter: LifecycleRuleFilter | undefined): Tag[] {
  if (!filter) return [];
  if (filter.And) return filter.And.Tags ?? [];
  return filter.Tag ? [filter.Tag] : [];
}

function filterHasSize(filter: LifecycleRuleFilter | undefined): boolean {
  if (!filter) return false;
  const f = filter.And ?? filter;
  return f.ObjectSizeGreaterThan !== undefined || f.ObjectSizeLessThan !== undefined;
}

function checkFilter(rule: LifecycleRule): void {
  if (rule.Filter !== undefined && rule.Prefix !== undefined) throw malformedXml();
  const f = rule.Filter;
  if (!f) return;
  const predicates = [f.Prefix !== undefined, f.Tag !== undefined, f.ObjectSizeGreaterThan !== undefined, f.ObjectSizeLessThan !== undefined, f.And !== undefined].filter(Boolean).length;
  if (predicates > 1) throw malformedXml();
  const sized = f.And ?? f;
  const gt = sized.ObjectSizeGreaterThan;
  const lt = sized.ObjectSizeLessThan;
  if (gt !== undefined && gt < 0) throw invalidArgument("'ObjectSizeGreaterThan' should be non-negative");
  if (lt !== undefined && lt <= 0) throw invalidArgument("'ObjectSizeLessThan' has to be a positive integer");
  if (gt !== undefined && lt !== undefined && gt >= lt) {
    throw invalidArgument(`'ObjectSizeLessThan' in Filter for rule must be greater than 'ObjectSizeGreaterThan'`);
  }
  const tags = filterTags(f);
  const keys = new Set<string>();
  for (const tag of tags) {
    if (keys.has(tag.Key)) throw invalidRequest("Duplicate Tag Keys are not allowed.");
    keys.add(tag.Key);
  }
}

interface Step {
  storageClass: string;
  days?: number;
  date?: Date;
}

/**
 * Checks one family of transitions (current or noncurrent): form, IA minimum,
 * duplicate classes, mixed Days/Date, and order down the waterfall.
 */
function checkTransitions(rule: LifecycleRule, steps: Step[], noncurrent: boolean): void {
  const daysField = noncurrent ? "NoncurrentDays" : "Days";
  const action = noncurrent ? "NoncurrentVersionTransition" : "Transition";
  const filter = describeFilter(rule);
  for (const step of steps) {
    if (!step.storageClass || CLASS_RANK[step.storageClass] === undefined || CLASS_RANK[step.storageClass] === 0) throw malformedXml();
    if (noncurrent) {
      if (step.days === undefined) throw malformedXml();
    } else {
      if (step.days !== undefined && step.date !== undefined) throw malformedXml();
      if (step.days === undefined && step.date === undefined) throw invalidArgument("'Transition' action must specify either 'Days' or 'Date'");
      if (step.date !== undefined && !isMidnightUtc(step.date)) throw invalidArgument("'Date' must be at midnight GMT");
    }
    if (step.days !== undefined && step.days < 0) throw invalidArgument(`'${daysField}' in ${action} action must be nonnegative`);
    if (step.days !== undefined && (step.storageClass === "STANDARD_IA" || step.storageClass === "ONEZONE_IA") && step.days < 30) {
      throw invalidArgument(`'${daysField}' in ${action} action must be greater than or equal to 30 for storageClass '${step.storageClass}'`);
    }
  }
  const seen = new Set<string>();
  for (const step of steps) {
    if (seen.has(step.storageClass)) throw invalidRequest(`'StorageClass' must be different for '${action}' actions in same 'Rule' with filter '${filter}'`);
    seen.add(step.storageClass);
  }
  if (!noncurrent && steps.some((s) => s.days !== undefined) && steps.some((s) => s.date !== undefined)) {
    throw invalidRequest(`Found mixed 'Date' and 'Days' based Transition actions in lifecycle rule for filter '${filter}'`);
  }
  const ordered = [...steps].sort((a, b) => CLASS_RANK[a.storageClass] - CLASS_RANK[b.storageClass]);
  for (let i = 1; i < ordered.length; i++) {
    const before = ordered[i - 1];
    const after = ordered[i];
    const field = after.date !== undefined ? "Date" : daysField;
    const at = (s: Step) => (s.date !== undefined ? s.date.getTime() / 86_400_000 : s.days!);
    const stay = MINIMUM_STAY[before.storageClass];
    if (at(after) <= at(before)) {
      throw invalidArgument(
        `'${field}' in the ${action} action for StorageClass '${after.storageClass}' for filter '${filter}' must be greater than '${field}' in the ${action} action for StorageClass '${before.storageClass}' for filter '${filter}'`,
      );
    }
    if (stay !== undefined && at(after) - at(before) < stay) {
      throw invalidArgument(
        `'${field}' in the ${action} action for StorageClass '${after.storageClass}' for filter '${filter}' must be ${stay} days more than 'filter '${filter}'' in the ${action} action for StorageClass '${before.storageClass}'`,
      );
    }
  }
}

function checkRule(rule: LifecycleRule): void {
  if (rule.Status !== "Enabled" && rule.Status !== "Disabled") throw malformedXml();
  if (rule.ID !== undefined && rule.ID.length > 255) throw invalidArgument("ID length should not exceed allowed limit of 255");
  checkFilter(rule);
  const filter = describeFilter(rule);
  const hasTags = filterTags(rule.Filter).length > 0;
  const hasSize = filterHasSize(rule.Filter);

  const exp = rule.Expiration;
  if (exp) {
    const forms = [exp.Days !== undefined, exp.Date !== undefined, exp.ExpiredObjectDeleteMarker !== undefined].filter(Boolean).length;
    if (forms === 0) throw malformedXml();
    if (exp.Days !== undefined && exp.Date !== undefined) throw malformedXml();
    if (exp.ExpiredObjectDeleteMarker !== undefined && (exp.Days !== undefined || exp.Date !== undefined)) {
      throw invalidRequest("ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy.");
    }
    if (exp.Days !== undefined && exp.Days <= 0) throw invalidArgument("'Days' for Expiration action must be a positive integer");
    if (exp.Date !== undefined && !isMidnightUtc(exp.Date)) throw invalidArgument("'Date' must be at midnight GMT");
    if (exp.ExpiredObjectDeleteMarker && hasTags) throw invalidRequest("ExpiredObjectDeleteMarker cannot be specified with tags.");
  }

  const transitions: Step[] = (rule.Transitions ?? []).map((t: Transition) => ({ storageClass: t.StorageClass ?? "", days: t.Days, date: t.Date }));
  checkTransitions(rule, transitions, false);
  const noncurrent: Step[] = (rule.NoncurrentVersionTransitions ?? []).map((t: NoncurrentVersionTransition) => ({ storageClass: t.StorageClass ?? "", days: t.NoncurrentDays }));
  checkTransitions(rule, noncurrent, true);
  for (const t of rule.NoncurrentVersionTransitions ?? []) checkNewer(t.NewerNoncurrentVersions);

  if (exp && (exp.Days !== undefined || exp.Date !== undefined) && transitions.length > 0) {
    const expByDate = exp.Date !== undefined;
    if (transitions.some((t) => (t.date !== undefined) !== expByDate)) {
      throw invalidRequest(`Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for filter '${filter}'`);
    }
    const last = Math.max(...transitions.map((t) => (expByDate ? t.date!.getTime() : t.days!)));
    const at = expByDate ? exp.Date!.getTime() : exp.Days!;
    if (at <= last) {
      const field = expByDate ? "Date" : "Days";
      throw invalidArgument(`'${field}' in the Expiration action for filter '${filter}' must be greater than '${field}' in the Transition action`);
    }
  }

  const nve = rule.NoncurrentVersionExpiration;
  if (nve) {
    if (nve.NoncurrentDays === undefined) throw malformedXml();
    if (nve.NoncurrentDays <= 0) throw invalidArgument("'NoncurrentDays' for NoncurrentVersionExpiration action must be a positive integer");
    checkNewer(nve.NewerNoncurrentVersions);
    if (noncurrent.length > 0 && nve.NoncurrentDays <= Math.max(...noncurrent.map((t) => t.days!))) {
      throw invalidArgument(
        `'NoncurrentDays' in the NoncurrentVersionExpiration action for filter '${filter}' must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action`,
      );
    }
  }

  const abort = rule.AbortIncompleteMultipartUpload;
  if (abort) {
    if (abort.DaysAfterInitiation === undefined) throw malformedXml();
    if (abort.DaysAfterInitiation <= 0) throw invalidArgument("'DaysAfterInitiation' for AbortIncompleteMultipartUpload action must be a positive integer");
    if (hasTags) throw invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Tags.");
    if (hasSize) throw invalidRequest("AbortIncompleteMultipartUpload cannot be specified with Object Size.");
  }

  if (!exp && transitions.length === 0 && noncurrent.length === 0 && !nve && !abort) {
    throw invalidRequest("At least one action needs to be specified in a rule");
  }
}

function checkNewer(value: number | undefined): void {
  if (value === undefined) return;
  if (value <= 0) throw invalidArgument("NewerNoncurrentVersions must be a positive integer");
  if (value > 100) throw invalidArgument("NewerNoncurrentVersions cannot be greater than 100");
}

/** Validates a PutBucketLifecycleConfiguration body; returns the configuration to store. */
export function validateLifecycle(rules: LifecycleRule[] | undefined, minimumSize: string | undefined): LifecycleConfig {
  if (!rules || rules.length === 0) throw malformedXml();
  if (rules.length > MAX_RULES) throw invalidArgument(`The number of lifecycle rules must not exceed ${MAX_RULES}`);
  if (minimumSize !== undefined && minimumSize !== "varies_by_storage_class" && minimumSize !== "all_storage_classes_128K") {
    throw invalidRequest(`Invalid TransitionDefaultMinimumObjectSize value: ${minimumSize}`);
  }
  const ids = new Set<string>();
  for (const rule of rules) {
    checkRule(rule);
    if (rule.ID !== undefined) {
      if (ids.has(rule.ID)) throw invalidArgument("Rule ID must be unique. Found same ID for more than one rule");
      ids.add(rule.ID);
    }
  }
  return { Rules: rules, TransitionDefaultMinimumObjectSize: (minimumSize as TransitionDefaultMinimumObjectSize) ?? "all_storage_classes_128K" };
}
