/**
 * What a lifecycle configuration does to one object version (or one
 * multipart upload) at a given time, the way S3 counts: an action becomes
 * due at the first midnight UTC on or after (start + N days), where start is
 * the creation time (current versions), the time the version became
 * noncurrent (noncurrent versions) or the initiation (uploads). Date-based
 * actions are due from their Date on. Among due actions, permanent deletion
 * beats transition, transition beats creating a delete marker, and the
 * deepest storage class wins.
 */
import type { LifecycleRule, Tag } from "../../../generated/s3.js";
import { CLASS_RANK, type LifecycleConfig } from "./config.js";

const DAY = 86_400_000;
const SMALL_OBJECT = 128 * 1024;

/** The first midnight UTC at or after t. */
export function ceilMidnight(t: number): number {
  return Math.ceil(t / DAY) * DAY;
}

export function nextMidnight(t: number): number {
  return Math.floor(t / DAY) * DAY + DAY;
}

export interface VersionFacts {
  key: string;
  size: number;
  tags: Tag[];
  storageClass: string;
  /** Creation (last modified) time, ms. */
  created: number;
  isLatest: boolean;
  deleteMarker: boolean;
  /** For noncurrent versions: when the next newer version was written, ms. */
  noncurrentSince?: number;
  /** For noncurrent versions: how many noncurrent versions are newer than this one. */
  newerNoncurrent?: number;
  /** For a current delete marker: whether it is the only version left of its key. */
  onlyVersion?: boolean;
}

export type LifecycleAction =
  /** Current version: DELETE without a version id (a delete marker when versioned). */
  | { kind: "expire"; ruleId: string }
  /** Remove this exact version or delete marker for good. */
  | { kind: "delete-version"; ruleId: string }
  | { kind: "transition"; storageClass: string; ruleId: string };

export interface Verdict {
  /** What to do now, if anything. */
  action?: LifecycleAction;
  /** The earliest later time at which something may become due for this version (undefined: never). */
  nextDue?: number;
}

function ruleFilterMatches(rule: LifecycleRule, facts: { key: string; size?: number; tags?: Tag[] }): boolean {
  const f = rule.Filter;
  if (!f) return facts.key.startsWith(rule.Prefix ?? "");
  const spec = f.And ?? f;
  const tags = f.And ? f.And.Tags ?? [] : f.Tag ? [f.Tag] : [];
  if (spec.Prefix !== undefined && !facts.key.startsWith(spec.Prefix)) return false;
  for (const tag of tags) if (!(facts.tags ?? []).some((t) => t.Key === tag.Key && t.Value === tag.Value)) return false;
  if (spec.ObjectSizeGreaterThan !== undefined && !(facts.size !== undefined && facts.size > spec.ObjectSizeGreaterThan)) return false;
  if (spec.ObjectSizeLessThan !== undefined && !(facts.size !== undefined && facts.size < spec.ObjectSizeLessThan)) return false;
  return true;
}

function hasSizeFilter(rule: LifecycleRule): boolean {
  const spec = rule.Filter?.And ?? rule.Filter;
  return spec?.ObjectSizeGreaterThan !== undefined || spec?.ObjectSizeLessThan !== undefined;
}

/** Small objects stay put unless the rule filters by size itself (S3's TransitionDefaultMinimumObjectSize). */
function sizeAllowsTransition(config: LifecycleConfig, rule: LifecycleRule, size: number, target: string): boolean {
  if (size >= SMALL_OBJECT || hasSizeFilter(rule)) return true;
  if (config.TransitionDefaultMinimumObjectSize === "varies_by_storage_class") return target === "GLACIER" || target === "DEEP_ARCHIVE";
  return false;
}

function ruleId(rule: LifecycleRule): string {
  return rule.ID ?? "";
}

interface Candidate {
  due: number;
  action: LifecycleAction;
  /** Higher wins among actions due together. */
  weight: number;
}

const WEIGHT_DELETE = 1000;
const WEIGHT_MARKER = 1;

function candidates(config: LifecycleConfig, v: VersionFacts): Candidate[] {
  const out: Candidate[] = [];
  const rank = CLASS_RANK[v.storageClass] ?? 0;
  for (const rule of config.Rules) {
    if (rule.Status !== "Enabled") continue;
    const id = ruleId(rule);
    if (v.deleteMarker) {
      // Delete markers carry no tags and no size: only prefix filters can reach them.
      if (!ruleFilterMatches(rule, { key: v.key })) continue;
      if (v.isLatest) {
        const exp = rule.Expiration;
        if (v.onlyVersion && exp?.ExpiredObjectDeleteMarker) out.push({ due: nextMidnight(v.created), action: { kind: "delete-version", ruleId: id }, weight: WEIGHT_DELETE });
        if (v.onlyVersion && exp?.Days !== undefined) out.push({ due: ceilMidnight(v.created + exp.Days * DAY), action: { kind: "delete-version", ruleId: id }, weight: WEIGHT_DELETE });
      } else if (rule.NoncurrentVersionExpiration?.NoncurrentDays !== undefined && v.noncurrentSince !== undefined) {
        const nve = rule.NoncurrentVersionExpiration;
        if ((v.newerNoncurrent ?? 0) >= (nve.NewerNoncurrentVersions ?? 0)) {
          out.push({ due: ceilMidnight(v.noncurrentSince + nve.NoncurrentDays! * DAY), action: { kind: "delete-version", ruleId: id }, weight: WEIGHT_DELETE });
        }
      }
      continue;
    }
    if (!ruleFilterMatches(rule, { key: v.key, size: v.size, tags: v.tags })) continue;
    if (v.isLatest) {
      const exp = rule.Expiration;
      if (exp?.Days !== undefined) out.push({ due: ceilMidnight(v.created + exp.Days * DAY), action: { kind: "expire", ruleId: id }, weight: WEIGHT_MARKER });
      if (exp?.Date !== undefined) out.push({ due: Math.max(exp.Date.getTime(), nextMidnight(v.created)), action: { kind: "expire", ruleId: id }, weight: WEIGHT_MARKER });
      for (const t of rule.Transitions ?? []) {
        const target = t.StorageClass!;
        if ((CLASS_RANK[target] ?? 0) <= rank || !sizeAllowsTransition(config, rule, v.size, target)) continue;
        const due = t.Date !== undefined ? Math.max(t.Date.getTime(), nextMidnight(v.created)) : ceilMidnight(v.created + (t.Days ?? 0) * DAY);
        out.push({ due, action: { kind: "transition", storageClass: target, ruleId: id }, weight: 10 + CLASS_RANK[target] });
      }
    } else if (v.noncurrentSince !== undefined) {
      const nve = rule.NoncurrentVersionExpiration;
      if (nve?.NoncurrentDays !== undefined && (v.newerNoncurrent ?? 0) >= (nve.NewerNoncurrentVersions ?? 0)) {
        out.push({ due: ceilMidnight(v.noncurrentSince + nve.NoncurrentDays * DAY), action: { kind: "delete-version", ruleId: id }, weight: WEIGHT_DELETE });
      }
      for (const t of rule.NoncurrentVersionTransitions ?? []) {
        const target = t.StorageClass!;
        if ((CLASS_RANK[target] ?? 0) <= rank || !sizeAllowsTransition(config, rule, v.size, target)) continue;
        if ((v.newerNoncurrent ?? 0) < (t.NewerNoncurrentVersions ?? 0)) continue;
        out.push({ due: ceilMidnight(v.noncurrentSince + (t.NoncurrentDays ?? 0) * DAY), action: { kind: "transition", storageClass: target, ruleId: id }, weight: 10 + CLASS_RANK[target] });
      }
    }
  }
  return out;
}

/**
 * The action due for a version at `now` and when the next one may be due.
 * NewerNoncurrentVersions counts change as versions come and go, so callers
 * re-evaluate after every change rather than trusting nextDue alone.
 */
export function evaluateVersion(config: LifecycleConfig, version: VersionFacts, now: number): Verdict {
  const all = candidates(config, version);
  const due = all.filter((c) => c.due <= now).sort((a, b) => b.weight - a.weight);
  const later = all.filter((c) => c.due > now).map((c) => c.due);
  return { action: due[0]?.action, nextDue: later.length ? Math.min(...later) : undefined };
}

/** When an incomplete multipart upload is aborted by the configuration (undefined: never). */
export function abortDue(config: LifecycleConfig, upload: { key: string; initiated: number }): { due: number; ruleId: string } | undefined {
  let best: { due: number; ruleId: string } | undefined;
  for (const rule of config.Rules) {
    const days = rule.AbortIncompleteMultipartUpload?.DaysAfterInitiation;
    if (rule.Status !== "Enabled" || days === undefined || !ruleFilterMatches(rule, { key: upload.key })) continue;
    const due = ceilMidnight(upload.initiated + days * DAY);
    if (!best || due < best.due) best = { due, ruleId: ruleId(rule) };
  }
  return best;
}

/** The expiration S3 announces in x-amz-expiration for a current version, if a rule will expire it. */
export function expirationOf(config: LifecycleConfig, version: VersionFacts): { date: Date; ruleId: string } | undefined {
  if (!version.isLatest || version.deleteMarker) return undefined;
  let best: { date: Date; ruleId: string } | undefined;
  for (const rule of config.Rules) {
    if (rule.Status !== "Enabled" || !ruleFilterMatches(rule, { key: version.key, size: version.size, tags: version.tags })) continue;
    const exp = rule.Expiration;
    let due: number | undefined;
    if (exp?.Days !== undefined) due = ceilMidnight(version.created + exp.Days * DAY);
    else if (exp?.Date !== undefined) due = exp.Date.getTime();
    if (due !== undefined && (!best || due < best.date.getTime())) best = { date: new Date(due), ruleId: ruleId(rule) };
  }
  return best;
}

/** The x-amz-expiration header value. */
export function expirationHeader(expiration: { date: Date; ruleId: string }): string {
  return `expiry-date="${expiration.date.toUTCString()}", rule-id="${expiration.ruleId.replace(/"/g, '\\"')}"`;
}
