/**
 * Concurrency does not corrupt state: many clients at once on the same key,
 * instance, upload, name or metric, on a disk-backed Stratus. Afterwards the
 * listings agree with HEAD/GET and nothing acknowledged is lost.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { CreateSecurityGroupCommand, CreateTagsCommand, DescribeImagesCommand, DescribeInstancesCommand, DescribeTagsCommand, EC2Client, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { CompleteSnapshotCommand, EBSClient, ListSnapshotBlocksCommand, PutSnapshotBlockCommand, StartSnapshotCommand } from "@aws-sdk/client-ebs";
import { CreateRoleCommand, IAMClient, ListRoleTagsCommand, TagRoleCommand } from "@aws-sdk/client-iam";
import { CloudWatchClient, GetMetricStatisticsCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { startStratus, type RunningStratus } from "../../src/index.js";
import { sdkConfig } from "../support/stratus.js";

const MiB = 1024 * 1024;
const sha = (data: Buffer | Uint8Array | string) => createHash("sha256").update(data).digest("hex");

async function settled<T>(tasks: Array<Promise<T>>): Promise<{ ok: T[]; failed: any[] }> {
  const results = await Promise.allSettled(tasks);
  return { ok: results.filter((r) => r.status === "fulfilled").map((r) => (r as PromiseFulfilledResult<T>).value), failed: results.filter((r) => r.status === "rejected").map((r) => (r as PromiseRejectedResult).reason) };
}

describe("concurrency", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "stratus-concurrency-"));
  let stratus: RunningStratus;
  let s3: S3Client;
  before(async () => {
    stratus = await startStratus({ port: 0, dataDir, clock: "virtual", logLevel: "silent" });
    s3 = new S3Client({ ...sdkConfig(stratus), forcePathStyle: true, maxAttempts: 1 });
  });
  after(async () => {
    await stratus.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("S3: concurrent PUTs and DELETEs of one key in a versioned bucket lose no version and agree with HEAD", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "race-versions" }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: "race-versions", VersioningConfiguration: { Status: "Enabled" } }));
    const bodies = new Map<string, string>(); // versionId → sha256
    const markers: string[] = [];
    const tasks: Array<Promise<void>> = [];
    for (let i = 0; i < 60; i++) {
      if (i % 4 === 3) {
        tasks.push(s3.send(new DeleteObjectCommand({ Bucket: "race-versions", Key: "k" })).then((r) => void markers.push(r.VersionId!)));
      } else {
        // Small bodies live in the database, larger ones in files: both paths race.
        const body = randomBytes(i % 3 === 0 ? 300_000 + i : 100 + i);
        tasks.push(s3.send(new PutObjectCommand({ Bucket: "race-versions", Key: "k", Body: body })).then((r) => void bodies.set(r.VersionId!, sha(body))));
      }
    }
    await Promise.all(tasks);
    const listed = await s3.send(new ListObjectVersionsCommand({ Bucket: "race-versions" }));
    assert.deepEqual(new Set(listed.Versions!.map((v) => v.VersionId)), new Set(bodies.keys()), "every acknowledged version is listed");
    assert.deepEqual(new Set(listed.DeleteMarkers!.map((m) => m.VersionId)), new Set(markers), "every delete marker is listed");
    const latest = [...listed.Versions!, ...listed.DeleteMarkers!].filter((v) => v.IsLatest);
    assert.equal(latest.length, 1, "exactly one latest");
    if (listed.DeleteMarkers!.some((m) => m.IsLatest)) {
      await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: "race-versions", Key: "k" })), (e: any) => e.$metadata.httpStatusCode === 404);
    } else {
      const head = await s3.send(new HeadObjectCommand({ Bucket: "race-versions", Key: "k" }));
      assert.equal(head.VersionId, latest[0].VersionId);
    }
    for (const [versionId, hash] of bodies) {
      const got = await s3.send(new GetObjectCommand({ Bucket: "race-versions", Key: "k", VersionId: versionId }));
      assert.equal(sha(await got.Body!.transformToByteArray()), hash, `version ${versionId} reads back its own bytes`);
    }
  });

  it("S3: concurrent PUTs of one key in an unversioned bucket leave one whole object that listing and GET agree on", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "race-plain" }));
    const sent = new Map<string, number>();
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => {
        const body = randomBytes(i % 2 ? 200_000 + i * 7 : 50 + i);
        sent.set(sha(body), body.length);
        return s3.send(new PutObjectCommand({ Bucket: "race-plain", Key: "k", Body: body }));
      }),
    );
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: "race-plain" }));
    assert.equal(listed.KeyCount, 1);
    const got = await s3.send(new GetObjectCommand({ Bucket: "race-plain", Key: "k" }));
    const bytes = await got.Body!.transformToByteArray();
    assert.equal(sent.get(sha(bytes)), bytes.length, "the object is one of the bodies sent, whole");
    assert.equal(listed.Contents![0].Size, bytes.length);
    assert.equal(listed.Contents![0].ETag, got.ETag);
  });

  it("S3: of racing conditional writes (If-None-Match: *, If-Match) exactly one wins", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "race-conditional" }));
    for (const size of [100, 300_000]) {
      const created = await settled(Array.from({ length: 10 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: "race-conditional", Key: `new-${size}`, Body: Buffer.alloc(size, i), IfNoneMatch: "*" }))));
      assert.equal(created.ok.length, 1, `one create of a ${size}-byte object wins`);
      for (const error of created.failed) assert.match(error.name, /^(PreconditionFailed|ConditionalRequestConflict)$/);
      const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: "race-conditional", Key: `new-${size}` }))).Body!.transformToByteArray());
      assert.equal(body.length, size);
    }
    const first = await s3.send(new PutObjectCommand({ Bucket: "race-conditional", Key: "swap", Body: "v0" }));
    const swapped = await settled(Array.from({ length: 10 }, (_, i) => s3.send(new PutObjectCommand({ Bucket: "race-conditional", Key: "swap", Body: Buffer.alloc(300_000, i), IfMatch: first.ETag }))));
    assert.equal(swapped.ok.length, 1, "one compare-and-swap wins");
    const head = await s3.send(new HeadObjectCommand({ Bucket: "race-conditional", Key: "swap" }));
    assert.equal(head.ETag, swapped.ok[0].ETag);
  });

  it("S3: concurrent part uploads, some racing on one part number, complete to the parts ListParts shows", async () => {
    await s3.send(new CreateBucketCommand({ Bucket: "race-parts" }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "race-parts", Key: "big" }));
    const byEtag = new Map<string, Buffer>();
    const uploads = [];
    for (let part = 1; part <= 6; part++) {
      for (let copy = 0; copy < (part === 1 ? 4 : 1); copy++) {
        const body = randomBytes(part === 6 ? 1000 + copy : 5 * MiB + copy);
        uploads.push(s3.send(new UploadPartCommand({ Bucket: "race-parts", Key: "big", UploadId, PartNumber: part, Body: body })).then((r) => void byEtag.set(r.ETag!, body)));
      }
    }
    await Promise.all(uploads);
    const { Parts } = await s3.send(new ListPartsCommand({ Bucket: "race-parts", Key: "big", UploadId }));
    assert.deepEqual(Parts!.map((p) => p.PartNumber), [1, 2, 3, 4, 5, 6], "each part number once");
    for (const p of Parts!) assert.ok(byEtag.has(p.ETag!), `part ${p.PartNumber} is one that was uploaded`);
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: "race-parts", Key: "big", UploadId, MultipartUpload: { Parts: Parts!.map((p) => ({ PartNumber: p.PartNumber, ETag: p.ETag })) } }));
    const got = await s3.send(new GetObjectCommand({ Bucket: "race-parts", Key: "big" }));
    assert.equal(sha(await got.Body!.transformToByteArray()), sha(Buffer.concat(Parts!.map((p) => byEtag.get(p.ETag!)!))));
  });

  it("EC2: concurrent RunInstances and CreateTags keep every instance and every tag", async () => {
    const ec2 = new EC2Client(sdkConfig(stratus));
    const { Images } = await ec2.send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    const runs = await Promise.all(Array.from({ length: 10 }, () => ec2.send(new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "t3.micro", MinCount: 2, MaxCount: 2 }))));
    const ids = runs.flatMap((r) => r.Instances!.map((i) => i.InstanceId!));
    assert.equal(new Set(ids).size, 20);
    const described = (await ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }))).Reservations!.flatMap((r) => r.Instances!);
    assert.equal(described.length, 20);
    assert.equal(new Set(described.map((i) => i.PrivateIpAddress)).size, 20, "private addresses are unique");
    await Promise.all(Array.from({ length: 25 }, (_, i) => ec2.send(new CreateTagsCommand({ Resources: [ids[0], ids[1]], Tags: [{ Key: `k${i}`, Value: String(i) }] }))));
    const tags = await ec2.send(new DescribeTagsCommand({ Filters: [{ Name: "resource-id", Values: [ids[0]] }], MaxResults: 1000 }));
    assert.equal(tags.Tags!.length, 25, "every concurrently added tag is there");
    const groups = await settled(Array.from({ length: 8 }, () => ec2.send(new CreateSecurityGroupCommand({ GroupName: "same-name", Description: "d" }))));
    assert.equal(groups.ok.length, 1, "one group of a name");
    for (const error of groups.failed) assert.equal(error.name, "InvalidGroup.Duplicate");
  });

  it("EBS: concurrent PutSnapshotBlock calls all land", async () => {
    const ebs = new EBSClient(sdkConfig(stratus));
    const id = (await ebs.send(new StartSnapshotCommand({ VolumeSize: 1 }))).SnapshotId!;
    const blocks = Array.from({ length: 12 }, (_, i) => [i * 3, randomBytes(512 * 1024)] as const);
    await Promise.all(
      blocks.map(([index, data]) =>
        ebs.send(new PutSnapshotBlockCommand({ SnapshotId: id, BlockIndex: index, BlockData: data, DataLength: data.length, Checksum: createHash("sha256").update(data).digest("base64"), ChecksumAlgorithm: "SHA256" })),
      ),
    );
    await ebs.send(new CompleteSnapshotCommand({ SnapshotId: id, ChangedBlocksCount: blocks.length }));
    await stratus.clock.advance("1m");
    const listed = await ebs.send(new ListSnapshotBlocksCommand({ SnapshotId: id }));
    assert.deepEqual(listed.Blocks!.map((b) => b.BlockIndex), blocks.map(([i]) => i));
  });

  it("IAM and CloudWatch: one role of a name, every tag, every data point", async () => {
    const iam = new IAMClient(sdkConfig(stratus));
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    const roles = await settled(Array.from({ length: 8 }, () => iam.send(new CreateRoleCommand({ RoleName: "racer", AssumeRolePolicyDocument: trust }))));
    assert.equal(roles.ok.length, 1);
    for (const error of roles.failed) assert.equal(error.name, "EntityAlreadyExistsException");
    await Promise.all(Array.from({ length: 20 }, (_, i) => iam.send(new TagRoleCommand({ RoleName: "racer", Tags: [{ Key: `t${i}`, Value: "v" }] }))));
    assert.equal((await iam.send(new ListRoleTagsCommand({ RoleName: "racer" }))).Tags!.length, 20);

    const cw = new CloudWatchClient(sdkConfig(stratus));
    const at = stratus.clock.now();
    await Promise.all(Array.from({ length: 40 }, (_, i) => cw.send(new PutMetricDataCommand({ Namespace: "Race", MetricData: [{ MetricName: "m", Value: i, Timestamp: at }] }))));
    const stats = await cw.send(
      new GetMetricStatisticsCommand({ Namespace: "Race", MetricName: "m", StartTime: new Date(at.getTime() - 300_000), EndTime: new Date(at.getTime() + 300_000), Period: 600, Statistics: ["SampleCount", "Sum"] }),
    );
    assert.deepEqual(stats.Datapoints!.map((d) => [d.SampleCount, d.Sum]), [[40, (39 * 40) / 2]]);
  });
});
