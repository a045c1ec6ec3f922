import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ReplicationConfiguration } from "../../src/generated/s3.js";
import { deleteMarkerRulesFor, rulesFor, validateReplication, type ReplicationEnvironment } from "../../src/services/s3/replication/config.js";

const ROLE = "arn:aws:iam::000000000000:role/s3-replication-role";
const env = (over: Partial<ReplicationEnvironment> = {}): ReplicationEnvironment => ({
  sourceBucket: "src",
  sourceVersioning: "Enabled",
  roleExists: (arn) => arn === ROLE,
  destination: (name) => (name === "dst" ? { exists: true, versioning: "Enabled", region: "us-west-2" } : name === "unversioned" ? { exists: true } : { exists: false }),
  ...over,
});
const exercise = (): ReplicationConfiguration => ({
  Role: ROLE,
  Rules: [
    {
      Status: "Enabled",
      Priority: 1,
      DeleteMarkerReplication: { Status: "Enabled" },
      Filter: { Prefix: "models/" },
      Destination: { Bucket: "arn:aws:s3:::dst", ReplicationTime: { Status: "Enabled", Time: { Minutes: 15 } }, Metrics: { Status: "Enabled", EventThreshold: { Minutes: 15 } } },
    },
  ],
});
function rejects(config: ReplicationConfiguration, e: ReplicationEnvironment, code: string, message?: RegExp) {
  assert.throws(() => validateReplication(config, e), (err: any) => {
    assert.equal(err.code, code, err.message);
    if (message) assert.match(err.message, message);
    return true;
  });
}

describe("replication configuration validation", () => {
  it("accepts the exercise's configuration and gives the rule an ID", () => {
    const out = validateReplication(exercise(), env());
    assert.ok(out.Rules[0].ID && out.Rules[0].ID.length > 0);
  });
  it("needs versioning on both buckets, a role, and an existing destination", () => {
    rejects(exercise(), env({ sourceVersioning: undefined }), "InvalidRequest", /Versioning must be 'Enabled' on the bucket/);
    rejects({ ...exercise(), Role: "arn:aws:iam::000000000000:role/missing" }, env(), "InvalidArgument", /Invalid Role/);
    rejects({ ...exercise(), Role: "not-an-arn" }, env(), "InvalidArgument", /Invalid Role/);
    const to = (bucket: string) => ({ ...exercise(), Rules: [{ ...exercise().Rules[0], Destination: { ...exercise().Rules[0].Destination, Bucket: bucket } }] });
    rejects(to("arn:aws:s3:::nowhere"), env(), "InvalidRequest", /Destination bucket must exist/);
    rejects(to("arn:aws:s3:::unversioned"), env(), "InvalidRequest", /Destination bucket must have versioning enabled/);
    rejects(to("dst"), env(), "InvalidArgument", /Invalid bucket ARN/);
  });
  it("requires Priority and DeleteMarkerReplication in V2 rules, unique priorities, no tag filter with marker replication", () => {
    const rule = exercise().Rules[0];
    rejects({ Role: ROLE, Rules: [{ ...rule, Priority: undefined }] }, env(), "InvalidRequest", /Priority must be specified/);
    rejects({ Role: ROLE, Rules: [{ ...rule, DeleteMarkerReplication: undefined }] }, env(), "InvalidRequest", /DeleteMarkerReplication must be specified/);
    rejects({ Role: ROLE, Rules: [rule, { ...rule, Filter: { Prefix: "other/" } }] }, env(), "InvalidRequest", /duplicate priority 1/);
    rejects({ Role: ROLE, Rules: [{ ...rule, Filter: { Tag: { Key: "a", Value: "b" } } }] }, env(), "InvalidRequest", /Delete marker replication is not supported if any Tag filter/);
    rejects({ Role: ROLE, Rules: [{ ...rule, Destination: { ...rule.Destination, Metrics: { Status: "Disabled" } } }] }, env(), "InvalidRequest", /metrics/);
    rejects({ Role: ROLE, Rules: [{ ...rule, SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: "Enabled" } } }] }, env(), "InvalidRequest", /ReplicaKmsKeyID must be specified/);
  });
  it("picks the matching rule of highest priority per destination", () => {
    const config = validateReplication(
      {
        Role: ROLE,
        Rules: [
          { ID: "all", Status: "Enabled", Priority: 1, DeleteMarkerReplication: { Status: "Disabled" }, Filter: { Prefix: "" }, Destination: { Bucket: "arn:aws:s3:::dst" } },
          { ID: "models", Status: "Enabled", Priority: 5, DeleteMarkerReplication: { Status: "Enabled" }, Filter: { Prefix: "models/" }, Destination: { Bucket: "arn:aws:s3:::dst", StorageClass: "STANDARD_IA" } },
          { ID: "off", Status: "Disabled", Priority: 9, DeleteMarkerReplication: { Status: "Enabled" }, Filter: { Prefix: "models/" }, Destination: { Bucket: "arn:aws:s3:::dst" } },
        ],
      },
      env(),
    );
    assert.deepEqual(rulesFor(config, { key: "models/a", tags: [] }).map((r) => r.ID), ["models"]);
    assert.deepEqual(rulesFor(config, { key: "data/a", tags: [] }).map((r) => r.ID), ["all"]);
    assert.deepEqual(deleteMarkerRulesFor(config, "models/a").map((r) => r.ID), ["models"]);
    assert.deepEqual(deleteMarkerRulesFor(config, "data/a").map((r) => r.ID), []);
  });
});
