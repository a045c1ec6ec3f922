import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LifecycleRule } from "../../src/generated/s3.js";
import { validateLifecycle } from "../../src/services/s3/lifecycle/config.js";
import { abortDue, ceilMidnight, evaluateVersion, expirationHeader, expirationOf, type VersionFacts } from "../../src/services/s3/lifecycle/evaluate.js";

const DAY = 86_400_000;
const T0 = Date.parse("2025-01-01T10:00:00Z");

function rejects(rules: LifecycleRule[], code: string, message?: string) {
  assert.throws(() => validateLifecycle(rules, undefined), (e: any) => {
    assert.equal(e.code, code, e.message);
    if (message !== undefined) assert.equal(e.message, message);
    return true;
  });
}
const base = (extra: Partial<LifecycleRule>): LifecycleRule => ({ ID: "r", Status: "Enabled", Filter: { Prefix: "test/" }, ...extra }) as LifecycleRule;

describe("lifecycle configuration validation", () => {
  it("accepts the exercise's rules written with ID, once noncurrent IA days respect the 30-day minimum", () => {
    const config = validateLifecycle(
      [
        base({ ID: "archive-old-models", Filter: { Prefix: "models/" }, Transitions: [{ Days: 30, StorageClass: "STANDARD_IA" }, { Days: 90, StorageClass: "GLACIER_IR" }], NoncurrentVersionTransitions: [{ NoncurrentDays: 30, StorageClass: "STANDARD_IA" }, { NoncurrentDays: 60, StorageClass: "GLACIER_IR" }], NoncurrentVersionExpiration: { NoncurrentDays: 180 } }),
        base({ ID: "delete-old-logs", Filter: { Prefix: "logs/" }, Expiration: { Days: 30 } }),
        base({ ID: "cleanup-incomplete-uploads", Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
      ],
      undefined,
    );
    assert.equal(config.TransitionDefaultMinimumObjectSize, "all_storage_classes_128K");
  });
  it("rejects IA transitions under 30 days, current and noncurrent (the exercise's NoncurrentDays 7)", () => {
    rejects([base({ Transitions: [{ Days: 7, StorageClass: "STANDARD_IA" }] })], "InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'");
    rejects([base({ Transitions: [{ Days: 29, StorageClass: "ONEZONE_IA" }] })], "InvalidArgument", "'Days' in Transition action must be greater than or equal to 30 for storageClass 'ONEZONE_IA'");
    rejects([base({ NoncurrentVersionTransitions: [{ NoncurrentDays: 7, StorageClass: "STANDARD_IA" }] })], "InvalidArgument", "'NoncurrentDays' in NoncurrentVersionTransition action must be greater than or equal to 30 for storageClass 'STANDARD_IA'");
  });
  it("orders transitions down the waterfall with the minimum stays", () => {
    rejects([base({ Transitions: [{ Days: 1, StorageClass: "DEEP_ARCHIVE" }, { Days: 1, StorageClass: "GLACIER" }] })], "InvalidArgument",
      "'Days' in the Transition action for StorageClass 'DEEP_ARCHIVE' for filter '(prefix=test/)' must be greater than 'Days' in the Transition action for StorageClass 'GLACIER' for filter '(prefix=test/)'");
    rejects([base({ Transitions: [{ Days: 30, StorageClass: "STANDARD_IA" }, { Days: 45, StorageClass: "GLACIER" }] })], "InvalidArgument",
      "'Days' in the Transition action for StorageClass 'GLACIER' for filter '(prefix=test/)' must be 30 days more than 'filter '(prefix=test/)'' in the Transition action for StorageClass 'STANDARD_IA'");
    rejects([base({ Transitions: [{ Days: 0, StorageClass: "GLACIER_IR" }, { Days: 30, StorageClass: "DEEP_ARCHIVE" }] })], "InvalidArgument");
    rejects([base({ Transitions: [{ Days: 90, StorageClass: "GLACIER" }, { Days: 180, StorageClass: "GLACIER" }] })], "InvalidRequest",
      "'StorageClass' must be different for 'Transition' actions in same 'Rule' with filter '(prefix=test/)'");
    validateLifecycle([base({ Transitions: [{ Days: 0, StorageClass: "GLACIER" }, { Days: 90, StorageClass: "DEEP_ARCHIVE" }] })], undefined);
  });
  it("checks Days versus Date, midnight GMT and expiration after transitions", () => {
    rejects([base({ Transitions: [{ StorageClass: "GLACIER" }] })], "InvalidArgument", "'Transition' action must specify either 'Days' or 'Date'");
    rejects([base({ Transitions: [{ Days: 1, Date: new Date("2026-01-01T00:00:00Z"), StorageClass: "GLACIER" }] })], "MalformedXML");
    rejects([base({ Transitions: [{ Date: new Date("2026-01-01T15:00:00Z"), StorageClass: "GLACIER" }] })], "InvalidArgument", "'Date' must be at midnight GMT");
    rejects([base({ Expiration: { Date: new Date("2026-01-01T15:00:00Z") } })], "InvalidArgument", "'Date' must be at midnight GMT");
    rejects([base({ Transitions: [{ Days: -1, StorageClass: "GLACIER" }] })], "InvalidArgument", "'Days' in Transition action must be nonnegative");
    rejects([base({ Expiration: { Days: 0 } })], "InvalidArgument", "'Days' for Expiration action must be a positive integer");
    rejects([base({ Expiration: { Days: 180 }, Transitions: [{ Days: 180, StorageClass: "GLACIER" }] })], "InvalidArgument",
      "'Days' in the Expiration action for filter '(prefix=test/)' must be greater than 'Days' in the Transition action");
    rejects([base({ Expiration: { Days: 180 }, Transitions: [{ Date: new Date("2027-01-01T00:00:00Z"), StorageClass: "GLACIER" }] })], "InvalidRequest",
      "Found mixed 'Date' and 'Days' based Expiration and Transition actions in lifecycle rule for filter '(prefix=test/)'");
    rejects([base({ Expiration: { Days: 5, ExpiredObjectDeleteMarker: true } })], "InvalidRequest",
      "ExpiredObjectDeleteMarker cannot be specified with Days or Date in a Lifecycle Expiration Policy.");
    rejects([base({ NoncurrentVersionExpiration: { NoncurrentDays: 30 }, NoncurrentVersionTransitions: [{ NoncurrentDays: 30, StorageClass: "GLACIER" }] })], "InvalidArgument",
      "'NoncurrentDays' in the NoncurrentVersionExpiration action for filter '(prefix=test/)' must be greater than 'NoncurrentDays' in the NoncurrentVersionTransition action");
  });
  it("checks IDs, filter forms, NewerNoncurrentVersions and actions that exclude tag or size filters", () => {
    rejects([base({ ID: "x".repeat(256), Expiration: { Days: 1 } })], "InvalidArgument", "ID length should not exceed allowed limit of 255");
    rejects([base({ Expiration: { Days: 1 } }), base({ Expiration: { Days: 2 } })], "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule");
    rejects([base({ Filter: { Prefix: "a/", ObjectSizeLessThan: 10 }, Expiration: { Days: 1 } })], "MalformedXML");
    rejects([base({ Filter: { And: { Prefix: "a/", ObjectSizeGreaterThan: 10, ObjectSizeLessThan: 5 } }, Expiration: { Days: 1 } })], "InvalidArgument");
    rejects([base({ Filter: { Tag: { Key: "a", Value: "b" } }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } })], "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Tags.");
    rejects([base({ Filter: { ObjectSizeGreaterThan: 5 }, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } })], "InvalidRequest", "AbortIncompleteMultipartUpload cannot be specified with Object Size.");
    rejects([base({ NoncurrentVersionExpiration: { NoncurrentDays: 1, NewerNoncurrentVersions: 0 } })], "InvalidArgument", "NewerNoncurrentVersions must be a positive integer");
    rejects([base({})], "InvalidRequest", "At least one action needs to be specified in a rule");
    rejects([base({ Filter: { Prefix: "a" }, Prefix: "a", Expiration: { Days: 1 } })], "MalformedXML");
  });
});

function version(extra: Partial<VersionFacts>): VersionFacts {
  return { key: "models/a.pth", size: 200 * 1024, tags: [], storageClass: "STANDARD", created: T0, isLatest: true, deleteMarker: false, ...extra };
}

describe("lifecycle rule evaluation", () => {
  const config = validateLifecycle(
    [
      base({ ID: "archive", Filter: { Prefix: "models/" }, Transitions: [{ Days: 30, StorageClass: "STANDARD_IA" }, { Days: 90, StorageClass: "GLACIER_IR" }], NoncurrentVersionTransitions: [{ NoncurrentDays: 30, StorageClass: "STANDARD_IA" }], NoncurrentVersionExpiration: { NoncurrentDays: 180, NewerNoncurrentVersions: 2 } }),
      base({ ID: "logs", Filter: { Prefix: "logs/" }, Expiration: { Days: 30 } }),
      base({ ID: "tagged", Filter: { And: { Prefix: "tmp/", Tags: [{ Key: "scratch", Value: "yes" }] } }, Expiration: { Days: 1 } }),
      base({ ID: "markers", Filter: { Prefix: "gone/" }, Expiration: { ExpiredObjectDeleteMarker: true } }),
      base({ ID: "uploads", Filter: {}, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 } }),
    ],
    undefined,
  );

  it("rounds to the next midnight UTC after creation + days", () => {
    const due = ceilMidnight(T0 + 30 * DAY);
    assert.equal(new Date(due).toISOString(), "2025-02-01T00:00:00.000Z");
    assert.equal(evaluateVersion(config, version({}), due - 1).action, undefined);
    assert.equal(evaluateVersion(config, version({}), due - 1).nextDue, due);
    assert.deepEqual(evaluateVersion(config, version({}), due).action, { kind: "transition", storageClass: "STANDARD_IA", ruleId: "archive" });
  });
  it("takes the deepest due transition and never moves back up", () => {
    const at = ceilMidnight(T0 + 91 * DAY);
    assert.deepEqual(evaluateVersion(config, version({}), at).action, { kind: "transition", storageClass: "GLACIER_IR", ruleId: "archive" });
    assert.equal(evaluateVersion(config, version({ storageClass: "GLACIER_IR" }), at).action, undefined);
    assert.equal(evaluateVersion(config, version({ storageClass: "DEEP_ARCHIVE" }), at).action, undefined);
  });
  it("leaves objects under 128 KiB where they are by default", () => {
    assert.equal(evaluateVersion(config, version({ size: 1000 }), T0 + 100 * DAY).action, undefined);
  });
  it("expires by prefix and by prefix-and-tag", () => {
    assert.equal(evaluateVersion(config, version({ key: "logs/x" }), T0 + 30 * DAY).action, undefined);
    assert.deepEqual(evaluateVersion(config, version({ key: "logs/x" }), ceilMidnight(T0 + 30 * DAY)).action, { kind: "expire", ruleId: "logs" });
    assert.equal(evaluateVersion(config, version({ key: "tmp/x" }), T0 + 5 * DAY).action, undefined);
    assert.deepEqual(evaluateVersion(config, version({ key: "tmp/x", tags: [{ Key: "scratch", Value: "yes" }] }), T0 + 5 * DAY).action, { kind: "expire", ruleId: "tagged" });
  });
  it("transitions and expires noncurrent versions, keeping NewerNoncurrentVersions", () => {
    const since = T0 + 10 * DAY;
    const old = (newer: number) => version({ isLatest: false, noncurrentSince: since, newerNoncurrent: newer });
    assert.deepEqual(evaluateVersion(config, old(0), ceilMidnight(since + 30 * DAY)).action, { kind: "transition", storageClass: "STANDARD_IA", ruleId: "archive" });
    const late = ceilMidnight(since + 180 * DAY);
    assert.equal(evaluateVersion(config, old(1), late).action?.kind, "transition");
    assert.equal(evaluateVersion(config, old(1), late).action?.kind !== "delete-version", true);
    assert.deepEqual(evaluateVersion(config, old(2), late).action, { kind: "delete-version", ruleId: "archive" });
  });
  it("removes expired delete markers only when they are the only version", () => {
    const marker = version({ key: "gone/x", deleteMarker: true, size: 0 });
    assert.equal(evaluateVersion(config, { ...marker, onlyVersion: false }, T0 + 3 * DAY).action, undefined);
    assert.deepEqual(evaluateVersion(config, { ...marker, onlyVersion: true }, T0 + 3 * DAY).action, { kind: "delete-version", ruleId: "markers" });
  });
  it("aborts incomplete uploads after DaysAfterInitiation", () => {
    assert.equal(new Date(abortDue(config, { key: "any/key", initiated: T0 })!.due).toISOString(), "2025-01-09T00:00:00.000Z");
  });
  it("announces x-amz-expiration for current versions", () => {
    const exp = expirationOf(config, version({ key: "logs/x" }))!;
    assert.equal(expirationHeader(exp), 'expiry-date="Sat, 01 Feb 2025 00:00:00 GMT", rule-id="logs"');
    assert.equal(expirationOf(config, version({})), undefined);
  });
});
