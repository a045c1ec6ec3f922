import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  S3Client,
  CreateBucketCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  DeleteObjectCommand,
  ListObjectVersionsCommand,
  PutBucketReplicationCommand,
  GetBucketReplicationCommand,
  DeleteBucketReplicationCommand,
  GetBucketLocationCommand,
  type ReplicationConfiguration,
} from "@aws-sdk/client-s3";
import { IAMClient, CreateRoleCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "s3.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const ROLE = "arn:aws:iam::000000000000:role/replicator";
/** What S3 needs the role to allow (the exercise's replication-role-policy.json, for any bucket). */
const REPLICATION_POLICY = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetReplicationConfiguration", "s3:ListBucket", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging", "s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"], Resource: "*" }] });

async function createReplicator(stratus: RunningStratus, name = "replicator", policy = REPLICATION_POLICY): Promise<void> {
  const iam = new IAMClient(sdkConfig(stratus));
  await iam.send(new CreateRoleCommand({ RoleName: name, AssumeRolePolicyDocument: TRUST }));
  await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "replication", PolicyDocument: policy }));
}

function rejectsWith(code: string, status: number, message?: RegExp) {
  return (error: any) => {
    assert.equal(error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, status);
    if (message) assert.match(error.message, message);
    return true;
  };
}

function rule(destination: string, extra: Record<string, unknown> = {}): ReplicationConfiguration {
  return {
    Role: ROLE,
    Rules: [{ ID: "models", Status: "Enabled", Priority: 1, DeleteMarkerReplication: { Status: "Enabled" }, Filter: { Prefix: "models/" }, Destination: { Bucket: `arn:aws:s3:::${destination}` }, ...extra }],
  };
}

async function setup(east: S3Client, west: S3Client, source: string, destination: string) {
  await east.send(new CreateBucketCommand({ Bucket: source }));
  await east.send(new PutBucketVersioningCommand({ Bucket: source, VersioningConfiguration: { Status: "Enabled" } }));
  await west.send(new CreateBucketCommand({ Bucket: destination, CreateBucketConfiguration: { LocationConstraint: "us-west-2" } }));
  await west.send(new PutBucketVersioningCommand({ Bucket: destination, VersioningConfiguration: { Status: "Enabled" } }));
}

describe("S3 cross-region replication", () => {
  let stratus: RunningStratus;
  let east: S3Client;
  let west: S3Client;
  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    east = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
    west = new S3Client({ ...sdkConfig(stratus, "us-west-2"), forcePathStyle: true });
    await createReplicator(stratus);
  });
  after(() => stratus.stop());

  it("validates configurations like S3", async () => {
    await east.send(new CreateBucketCommand({ Bucket: "unversioned-src" }));
    await east.send(new CreateBucketCommand({ Bucket: "unversioned-dst" }));
    await assert.rejects(east.send(new PutBucketReplicationCommand({ Bucket: "unversioned-src", ReplicationConfiguration: rule("unversioned-dst") })), rejectsWith("InvalidRequest", 400, /Versioning must be 'Enabled'/));
    await setup(east, west, "val-src", "val-dst");
    await assert.rejects(east.send(new PutBucketReplicationCommand({ Bucket: "val-src", ReplicationConfiguration: rule("unversioned-dst") })), rejectsWith("InvalidRequest", 400, /Destination bucket must have versioning enabled/));
    await assert.rejects(east.send(new PutBucketReplicationCommand({ Bucket: "val-src", ReplicationConfiguration: rule("no-such-bucket-anywhere") })), rejectsWith("InvalidRequest", 400, /Destination bucket must exist/));
    await assert.rejects(
      east.send(new PutBucketReplicationCommand({ Bucket: "val-src", ReplicationConfiguration: { ...rule("val-dst"), Role: "arn:aws:iam::000000000000:role/missing" } })),
      rejectsWith("InvalidArgument", 400, /Invalid Role/),
    );
    await assert.rejects(
      east.send(new PutBucketReplicationCommand({ Bucket: "val-src", ReplicationConfiguration: { Role: ROLE, Rules: [{ Status: "Enabled", Filter: { Prefix: "" }, DeleteMarkerReplication: { Status: "Disabled" }, Destination: { Bucket: "arn:aws:s3:::val-dst" } }] } })),
      rejectsWith("InvalidRequest", 400, /Priority must be specified/),
    );
    await assert.rejects(east.send(new GetBucketReplicationCommand({ Bucket: "val-src" })), rejectsWith("ReplicationConfigurationNotFoundError", 404));
    await east.send(new PutBucketReplicationCommand({ Bucket: "val-src", ReplicationConfiguration: rule("val-dst") }));
    const got = await east.send(new GetBucketReplicationCommand({ Bucket: "val-src" }));
    assert.equal(got.ReplicationConfiguration!.Rules![0].ID, "models");
    await assert.rejects(
      east.send(new PutBucketVersioningCommand({ Bucket: "val-src", VersioningConfiguration: { Status: "Suspended" } })),
      rejectsWith("InvalidBucketState", 409, /replication configuration is present/),
    );
    await east.send(new DeleteBucketReplicationCommand({ Bucket: "val-src" }));
    await east.send(new PutBucketVersioningCommand({ Bucket: "val-src", VersioningConfiguration: { Status: "Suspended" } }));
    await assert.rejects(east.send(new GetBucketReplicationCommand({ Bucket: "val-src" })), rejectsWith("ReplicationConfigurationNotFoundError", 404));
  });

  it("copies new versions with version id, metadata, tags and storage class; PENDING → COMPLETED, REPLICA", async () => {
    await setup(east, west, "crr-src", "crr-dst");
    await east.send(new PutObjectCommand({ Bucket: "crr-src", Key: "models/before.pth", Body: "written before the configuration" }));
    await east.send(new PutBucketReplicationCommand({ Bucket: "crr-src", ReplicationConfiguration: rule("crr-dst", { Destination: { Bucket: "arn:aws:s3:::crr-dst", StorageClass: "STANDARD_IA" } }) }));
    // Hold the queue to see the PENDING state, as a busy S3 would show it.
    stratus.cloud.scheduler.stop();
    const put = await east.send(
      new PutObjectCommand({ Bucket: "crr-src", Key: "models/v1/resnet50.pth", Body: "Placeholder PyTorch model", Metadata: { framework: "pytorch", accuracy: "0.95" }, Tagging: "stage=prod", ContentType: "application/octet-stream" }),
    );
    await east.send(new PutObjectCommand({ Bucket: "crr-src", Key: "data/not-replicated.csv", Body: "1,2" }));
    assert.equal((await east.send(new HeadObjectCommand({ Bucket: "crr-src", Key: "models/v1/resnet50.pth" }))).ReplicationStatus, "PENDING");
    stratus.cloud.scheduler.start();
    await stratus.clock.settle();
    const source = await east.send(new HeadObjectCommand({ Bucket: "crr-src", Key: "models/v1/resnet50.pth" }));
    assert.equal(source.ReplicationStatus, "COMPLETED");
    const replica = await west.send(new GetObjectCommand({ Bucket: "crr-dst", Key: "models/v1/resnet50.pth" }));
    assert.equal(await replica.Body!.transformToString(), "Placeholder PyTorch model");
    assert.equal(replica.ReplicationStatus, "REPLICA");
    assert.equal(replica.VersionId, put.VersionId);
    assert.deepEqual(replica.Metadata, { framework: "pytorch", accuracy: "0.95" });
    assert.equal(replica.TagCount, 1);
    assert.equal(replica.StorageClass, "STANDARD_IA");
    assert.equal(replica.ETag, put.ETag);
    assert.equal(replica.ServerSideEncryption, "AES256");
    await assert.rejects(west.send(new HeadObjectCommand({ Bucket: "crr-dst", Key: "models/before.pth" })), (e: any) => e.$metadata.httpStatusCode === 404);
    await assert.rejects(west.send(new HeadObjectCommand({ Bucket: "crr-dst", Key: "data/not-replicated.csv" })), (e: any) => e.$metadata.httpStatusCode === 404);
    assert.equal((await west.send(new GetBucketLocationCommand({ Bucket: "crr-dst" }))).LocationConstraint, "us-west-2");
  });

  it("replicates delete markers when DeleteMarkerReplication is Enabled, and not otherwise", async () => {
    await setup(east, west, "dm-src", "dm-dst");
    await east.send(
      new PutBucketReplicationCommand({
        Bucket: "dm-src",
        ReplicationConfiguration: {
          Role: ROLE,
          Rules: [
            { ID: "with", Status: "Enabled", Priority: 2, DeleteMarkerReplication: { Status: "Enabled" }, Filter: { Prefix: "models/" }, Destination: { Bucket: "arn:aws:s3:::dm-dst" } },
            { ID: "without", Status: "Enabled", Priority: 1, DeleteMarkerReplication: { Status: "Disabled" }, Filter: { Prefix: "logs/" }, Destination: { Bucket: "arn:aws:s3:::dm-dst" } },
          ],
        },
      }),
    );
    await east.send(new PutObjectCommand({ Bucket: "dm-src", Key: "models/a", Body: "a" }));
    await east.send(new PutObjectCommand({ Bucket: "dm-src", Key: "logs/b", Body: "b" }));
    await stratus.clock.settle();
    const marker = await east.send(new DeleteObjectCommand({ Bucket: "dm-src", Key: "models/a" }));
    await east.send(new DeleteObjectCommand({ Bucket: "dm-src", Key: "logs/b" }));
    await stratus.clock.settle();
    const a = await west.send(new ListObjectVersionsCommand({ Bucket: "dm-dst", Prefix: "models/a" }));
    assert.equal(a.DeleteMarkers?.[0]?.VersionId, marker.VersionId);
    assert.equal(a.DeleteMarkers?.[0]?.IsLatest, true);
    await assert.rejects(west.send(new GetObjectCommand({ Bucket: "dm-dst", Key: "models/a" })), (e: any) => e.name === "NoSuchKey");
    const b = await west.send(new ListObjectVersionsCommand({ Bucket: "dm-dst", Prefix: "logs/b" }));
    assert.equal(b.DeleteMarkers, undefined);
    assert.equal((await west.send(new GetObjectCommand({ Bucket: "dm-dst", Key: "logs/b" }))).ReplicationStatus, "REPLICA");
  });

  it("marks the source FAILED when the destination can no longer take replicas", async () => {
    await setup(east, west, "fail-src", "fail-dst");
    await east.send(new PutBucketReplicationCommand({ Bucket: "fail-src", ReplicationConfiguration: rule("fail-dst") }));
    await west.send(new PutBucketVersioningCommand({ Bucket: "fail-dst", VersioningConfiguration: { Status: "Suspended" } }));
    await east.send(new PutObjectCommand({ Bucket: "fail-src", Key: "models/x", Body: "x" }));
    await stratus.clock.settle();
    assert.equal((await east.send(new HeadObjectCommand({ Bucket: "fail-src", Key: "models/x" }))).ReplicationStatus, "FAILED");
  });

  it("marks the source FAILED when the role's policies do not let it write the replica", async () => {
    const narrow = JSON.stringify({
      Version: "2012-10-17",
      Statement: [
        { Effect: "Allow", Action: ["s3:GetObjectVersionForReplication"], Resource: "arn:aws:s3:::perm-src/*" },
        { Effect: "Allow", Action: ["s3:ReplicateObject"], Resource: "arn:aws:s3:::some-other-bucket/*" },
      ],
    });
    await createReplicator(stratus, "narrow", narrow);
    await setup(east, west, "perm-src", "perm-dst");
    await east.send(new PutBucketReplicationCommand({ Bucket: "perm-src", ReplicationConfiguration: { ...rule("perm-dst"), Role: "arn:aws:iam::000000000000:role/narrow" } }));
    await east.send(new PutObjectCommand({ Bucket: "perm-src", Key: "models/x", Body: "x" }));
    await stratus.clock.settle();
    assert.equal((await east.send(new HeadObjectCommand({ Bucket: "perm-src", Key: "models/x" }))).ReplicationStatus, "FAILED");
    await assert.rejects(west.send(new HeadObjectCommand({ Bucket: "perm-dst", Key: "models/x" })), (e: any) => e.name === "NotFound");
  });

  it("marks the source FAILED when the role does not trust s3.amazonaws.com, whatever its policies allow", async () => {
    const iam = new IAMClient(sdkConfig(stratus));
    const ec2Trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    await iam.send(new CreateRoleCommand({ RoleName: "untrusting", AssumeRolePolicyDocument: ec2Trust }));
    await iam.send(new PutRolePolicyCommand({ RoleName: "untrusting", PolicyName: "replication", PolicyDocument: REPLICATION_POLICY }));
    await setup(east, west, "trust-src", "trust-dst");
    await east.send(new PutBucketReplicationCommand({ Bucket: "trust-src", ReplicationConfiguration: { ...rule("trust-dst"), Role: "arn:aws:iam::000000000000:role/untrusting" } }));
    await east.send(new PutObjectCommand({ Bucket: "trust-src", Key: "models/x", Body: "x" }));
    await stratus.clock.settle();
    assert.equal((await east.send(new HeadObjectCommand({ Bucket: "trust-src", Key: "models/x" }))).ReplicationStatus, "FAILED");
  });
});

describe("S3 replication durability", () => {
  it("finishes queued copies after a restart", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "crr-disk-"));
    try {
      let stratus = await startTestStratus({ storage: "disk", dataDir });
      await createReplicator(stratus);
      let east = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
      let west = new S3Client({ ...sdkConfig(stratus, "us-west-2"), forcePathStyle: true });
      await setup(east, west, "dur-src", "dur-dst");
      await east.send(new PutBucketReplicationCommand({ Bucket: "dur-src", ReplicationConfiguration: rule("dur-dst") }));
      stratus.cloud.scheduler.stop();
      await east.send(new PutObjectCommand({ Bucket: "dur-src", Key: "models/queued.bin", Body: "survives" }));
      await stratus.stop();
      stratus = await startTestStratus({ storage: "disk", dataDir });
      east = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });
      west = new S3Client({ ...sdkConfig(stratus, "us-west-2"), forcePathStyle: true });
      await stratus.clock.settle();
      const replica = await west.send(new GetObjectCommand({ Bucket: "dur-dst", Key: "models/queued.bin" }));
      assert.equal(await replica.Body!.transformToString(), "survives");
      assert.equal((await east.send(new HeadObjectCommand({ Bucket: "dur-src", Key: "models/queued.bin" }))).ReplicationStatus, "COMPLETED");
      await stratus.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
