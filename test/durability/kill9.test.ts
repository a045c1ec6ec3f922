/**
 * Acknowledged writes survive `kill -9`: a real `stratus start` child on a
 * data dir takes writes in every service through the SDK, is SIGKILLed right
 * after the last answer, restarted on the same data dir, and everything it
 * acknowledged is there (bytes identical, ciphertexts decryptable, pending
 * work finishing afterwards). A kill in the middle of a streaming upload
 * leaves no partial object and no temp files growing the data dir.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, statSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { after, describe, it } from "node:test";
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
import {
  AuthorizeSecurityGroupIngressCommand,
  CreateSecurityGroupCommand,
  CreateSnapshotCommand,
  CreateTagsCommand,
  CreateVolumeCommand,
  DescribeImagesCommand,
  DescribeInstancesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSnapshotsCommand,
  DescribeVolumesCommand,
  EC2Client,
  RunInstancesCommand,
} from "@aws-sdk/client-ec2";
import { CompleteSnapshotCommand, EBSClient, GetSnapshotBlockCommand, ListSnapshotBlocksCommand, PutSnapshotBlockCommand, StartSnapshotCommand } from "@aws-sdk/client-ebs";
import { AttachRolePolicyCommand, CreatePolicyCommand, CreateRoleCommand, GetRolePolicyCommand, IAMClient, ListAttachedRolePoliciesCommand, PutRolePolicyCommand } from "@aws-sdk/client-iam";
import { CreateAliasCommand, CreateKeyCommand, DecryptCommand, DescribeKeyCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { CloudWatchClient, DescribeAlarmsCommand, GetDashboardCommand, GetMetricStatisticsCommand, PutDashboardCommand, PutMetricAlarmCommand, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { ChildStratus } from "./child.js";

const BLOCK = 512 * 1024;
const MiB = 1024 * 1024;
const START = "2026-03-01T00:00:00Z";
const sha = (data: Buffer | Uint8Array) => createHash("sha256").update(data).digest("hex");
const sha64 = (data: Buffer) => createHash("sha256").update(data).digest("base64");

async function bytes(body: any): Promise<Buffer> {
  return Buffer.from(await body.transformToByteArray());
}

describe("kill -9: acknowledged writes survive in every service", () => {
  const stratus = new ChildStratus(["--clock", "virtual"]);
  after(() => stratus.dispose());

  it("S3, EC2, EBS, IAM, KMS and CloudWatch writes are all there after SIGKILL and restart", async () => {
    await stratus.start(["--clock-start", START]);
    const s3 = () => new S3Client(stratus.config());
    const ec2 = () => new EC2Client(stratus.config());
    const ebs = () => new EBSClient(stratus.config());
    const iam = () => new IAMClient(stratus.config());
    const kms = () => new KMSClient(stratus.config());
    const cw = () => new CloudWatchClient(stratus.config());

    // S3: a small and a large object, a completed multipart upload, versions and a delete marker.
    const small = randomBytes(3000);
    const large = randomBytes(6 * MiB + 17);
    const parts = [randomBytes(5 * MiB), randomBytes(1 * MiB + 3)];
    await s3().send(new CreateBucketCommand({ Bucket: "dura" }));
    await s3().send(new PutObjectCommand({ Bucket: "dura", Key: "small", Body: small }));
    await s3().send(new PutObjectCommand({ Bucket: "dura", Key: "dir/large", Body: large }));
    const upload = await s3().send(new CreateMultipartUploadCommand({ Bucket: "dura", Key: "multi" }));
    const etags = [];
    for (const [i, part] of parts.entries()) {
      etags.push((await s3().send(new UploadPartCommand({ Bucket: "dura", Key: "multi", UploadId: upload.UploadId, PartNumber: i + 1, Body: part }))).ETag);
    }
    const completed = await s3().send(
      new CompleteMultipartUploadCommand({ Bucket: "dura", Key: "multi", UploadId: upload.UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }),
    );
    await s3().send(new CreateBucketCommand({ Bucket: "dura-versions" }));
    await s3().send(new PutBucketVersioningCommand({ Bucket: "dura-versions", VersioningConfiguration: { Status: "Enabled" } }));
    const v1 = (await s3().send(new PutObjectCommand({ Bucket: "dura-versions", Key: "k", Body: "one" }))).VersionId!;
    const v2 = (await s3().send(new PutObjectCommand({ Bucket: "dura-versions", Key: "k", Body: "two" }))).VersionId!;
    const marker = (await s3().send(new DeleteObjectCommand({ Bucket: "dura-versions", Key: "k" }))).VersionId!;
    await s3().send(new DeleteObjectCommand({ Bucket: "dura-versions", Key: "k", VersionId: v1 }));

    // EC2: instances (pending), tags, a security group with a rule.
    const { Images } = await ec2().send(new DescribeImagesCommand({ Owners: ["amazon"], Filters: [{ Name: "name", Values: ["al2023-ami-2023*x86_64"] }] }));
    const run = await ec2().send(
      new RunInstancesCommand({ ImageId: Images![0].ImageId, InstanceType: "t3.micro", MinCount: 2, MaxCount: 2, TagSpecifications: [{ ResourceType: "instance", Tags: [{ Key: "Name", Value: "dura" }] }] }),
    );
    const instanceIds = run.Instances!.map((i) => i.InstanceId!);
    await ec2().send(new CreateTagsCommand({ Resources: instanceIds, Tags: [{ Key: "team", Value: "ml" }] }));
    const group = await ec2().send(new CreateSecurityGroupCommand({ GroupName: "dura", Description: "dura" }));
    await ec2().send(
      new AuthorizeSecurityGroupIngressCommand({ GroupId: group.GroupId, IpPermissions: [{ IpProtocol: "tcp", FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: "10.0.0.0/8" }] }] }),
    );

    // EBS: a volume and a snapshot of it (both still in their transitions), and a direct-API snapshot.
    const volume = await ec2().send(new CreateVolumeCommand({ AvailabilityZone: "us-east-1a", Size: 1, TagSpecifications: [{ ResourceType: "volume", Tags: [{ Key: "k", Value: "v" }] }] }));
    await stratus.advance("10s");
    const volumeSnapshot = (await ec2().send(new CreateSnapshotCommand({ VolumeId: volume.VolumeId }))).SnapshotId!;
    const blocks = new Map([
      [0, randomBytes(BLOCK)],
      [5, randomBytes(BLOCK)],
    ]);
    const direct = (await ebs().send(new StartSnapshotCommand({ VolumeSize: 1, Description: "direct" }))).SnapshotId!;
    for (const [index, data] of blocks) {
      await ebs().send(new PutSnapshotBlockCommand({ SnapshotId: direct, BlockIndex: index, BlockData: data, DataLength: BLOCK, Checksum: sha64(data), ChecksumAlgorithm: "SHA256" }));
    }
    const aggregate = createHash("sha256")
      .update(Buffer.concat([...blocks.values()].map((d) => createHash("sha256").update(d).digest())))
      .digest("base64");
    await ebs().send(new CompleteSnapshotCommand({ SnapshotId: direct, ChangedBlocksCount: 2, Checksum: aggregate, ChecksumAlgorithm: "SHA256", ChecksumAggregationMethod: "LINEAR" }));

    // IAM: a role with an inline and an attached managed policy.
    const trust = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
    const policyDoc = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "*" }] });
    await iam().send(new CreateRoleCommand({ RoleName: "dura-role", AssumeRolePolicyDocument: trust }));
    await iam().send(new PutRolePolicyCommand({ RoleName: "dura-role", PolicyName: "inline", PolicyDocument: policyDoc }));
    const managed = (await iam().send(new CreatePolicyCommand({ PolicyName: "dura-managed", PolicyDocument: policyDoc }))).Policy!.Arn!;
    await iam().send(new AttachRolePolicyCommand({ RoleName: "dura-role", PolicyArn: managed }));

    // KMS: a key, an alias, a ciphertext.
    const keyId = (await kms().send(new CreateKeyCommand({ Description: "dura" }))).KeyMetadata!.KeyId!;
    await kms().send(new CreateAliasCommand({ AliasName: "alias/dura", TargetKeyId: keyId }));
    const ciphertext = (await kms().send(new EncryptCommand({ KeyId: "alias/dura", Plaintext: Buffer.from("secret"), EncryptionContext: { a: "b" } }))).CiphertextBlob!;

    // CloudWatch: data points, an alarm, a dashboard.
    const stamp = new Date(await stratus.now());
    await cw().send(new PutMetricDataCommand({ Namespace: "Dura", MetricData: [{ MetricName: "loss", Value: 0.5, Timestamp: stamp }, { MetricName: "loss", Value: 1.5, Timestamp: stamp }] }));
    await cw().send(
      new PutMetricAlarmCommand({ AlarmName: "dura-alarm", Namespace: "Dura", MetricName: "loss", Statistic: "Average", Period: 60, EvaluationPeriods: 1, Threshold: 10, ComparisonOperator: "GreaterThanThreshold" }),
    );
    const dashboardBody = JSON.stringify({ widgets: [{ type: "text", x: 0, y: 0, width: 6, height: 3, properties: { markdown: "dura" } }] });
    await cw().send(new PutDashboardCommand({ DashboardName: "dura", DashboardBody: dashboardBody }));

    // The crash: right after the last acknowledgement.
    const clockAtCrash = await stratus.now();
    await stratus.restart("kill");
    assert.ok((await stratus.now()) >= clockAtCrash, "the virtual clock does not go back after a crash");

    // S3
    assert.equal(sha(await bytes((await s3().send(new GetObjectCommand({ Bucket: "dura", Key: "small" }))).Body)), sha(small));
    assert.equal(sha(await bytes((await s3().send(new GetObjectCommand({ Bucket: "dura", Key: "dir/large" }))).Body)), sha(large));
    const multi = await s3().send(new GetObjectCommand({ Bucket: "dura", Key: "multi" }));
    assert.equal(multi.ETag, completed.ETag);
    assert.equal(sha(await bytes(multi.Body)), sha(Buffer.concat(parts)));
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: "dura" }));
    assert.deepEqual(listed.Contents!.map((o) => [o.Key, o.Size]), [["dir/large", large.length], ["multi", 6 * MiB + 3], ["small", small.length]]);
    const versions = await s3().send(new ListObjectVersionsCommand({ Bucket: "dura-versions" }));
    assert.deepEqual(versions.Versions!.map((v) => v.VersionId), [v2]);
    assert.deepEqual(versions.DeleteMarkers!.map((m) => [m.VersionId, m.IsLatest]), [[marker, true]]);
    await assert.rejects(s3().send(new HeadObjectCommand({ Bucket: "dura-versions", Key: "k" })), (e: any) => e.$metadata.httpStatusCode === 404);
    assert.equal(await (await s3().send(new GetObjectCommand({ Bucket: "dura-versions", Key: "k", VersionId: v2 }))).Body!.transformToString(), "two");

    // EC2
    const described = await ec2().send(new DescribeInstancesCommand({ InstanceIds: instanceIds }));
    const instances = described.Reservations!.flatMap((r) => r.Instances!);
    assert.equal(instances.length, 2);
    for (const instance of instances) {
      assert.deepEqual(instance.Tags!.map((t) => `${t.Key}=${t.Value}`).sort(), ["Name=dura", "team=ml"]);
    }
    const groups = await ec2().send(new DescribeSecurityGroupsCommand({ GroupIds: [group.GroupId!] }));
    assert.equal(groups.SecurityGroups![0].IpPermissions![0].IpRanges![0].CidrIp, "10.0.0.0/8");

    // IAM
    const inline = await iam().send(new GetRolePolicyCommand({ RoleName: "dura-role", PolicyName: "inline" }));
    assert.deepEqual(JSON.parse(decodeURIComponent(inline.PolicyDocument!)), JSON.parse(policyDoc));
    assert.deepEqual((await iam().send(new ListAttachedRolePoliciesCommand({ RoleName: "dura-role" }))).AttachedPolicies!.map((p) => p.PolicyArn), [managed]);

    // KMS: the key and alias are there and the ciphertext still decrypts.
    assert.equal((await kms().send(new DescribeKeyCommand({ KeyId: "alias/dura" }))).KeyMetadata!.KeyId, keyId);
    const plain = await kms().send(new DecryptCommand({ CiphertextBlob: ciphertext, EncryptionContext: { a: "b" } }));
    assert.equal(Buffer.from(plain.Plaintext!).toString(), "secret");
    assert.equal(plain.KeyId!.endsWith(keyId), true);

    // CloudWatch
    const stats = await cw().send(
      new GetMetricStatisticsCommand({ Namespace: "Dura", MetricName: "loss", StartTime: new Date(stamp.getTime() - 120_000), EndTime: new Date(stamp.getTime() + 120_000), Period: 60, Statistics: ["SampleCount", "Sum"] }),
    );
    assert.deepEqual(stats.Datapoints!.map((d) => [d.SampleCount, d.Sum]), [[2, 2]]);
    assert.deepEqual((await cw().send(new DescribeAlarmsCommand({ AlarmNames: ["dura-alarm"] }))).MetricAlarms!.map((a) => a.Threshold), [10]);
    assert.equal((await cw().send(new GetDashboardCommand({ DashboardName: "dura" }))).DashboardBody, dashboardBody);

    // Work pending at the crash finishes after it: instances run, snapshots complete, bytes read back.
    await stratus.advance("5m");
    const running = await ec2().send(new DescribeInstancesCommand({ InstanceIds: instanceIds }));
    assert.deepEqual(running.Reservations!.flatMap((r) => r.Instances!).map((i) => i.State!.Name), ["running", "running"]);
    const { Volumes } = await ec2().send(new DescribeVolumesCommand({ VolumeIds: [volume.VolumeId!] }));
    assert.equal(Volumes![0].State, "available");
    const { Snapshots } = await ec2().send(new DescribeSnapshotsCommand({ SnapshotIds: [volumeSnapshot, direct] }));
    assert.deepEqual(Snapshots!.map((s) => s.State), ["completed", "completed"]);
    const directBlocks = await ebs().send(new ListSnapshotBlocksCommand({ SnapshotId: direct }));
    assert.deepEqual(directBlocks.Blocks!.map((b) => b.BlockIndex), [0, 5]);
    for (const block of directBlocks.Blocks!) {
      const got = await ebs().send(new GetSnapshotBlockCommand({ SnapshotId: direct, BlockIndex: block.BlockIndex!, BlockToken: block.BlockToken! }));
      assert.equal(sha(await bytes(got.BlockData)), sha(blocks.get(block.BlockIndex!)!));
    }
  });

  it("a kill racing CompleteMultipartUpload leaves the object whole or the upload intact, never half of each", async () => {
    const parts = [randomBytes(5 * MiB), randomBytes(5 * MiB), randomBytes(2 * MiB)];
    const whole = sha(Buffer.concat(parts));
    const outcomes = new Set<string>();
    for (let round = 0; round < 4; round++) {
      const s3 = new S3Client(stratus.config());
      const key = `race-complete-${round}`;
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "dura", Key: key }));
      const etags = [];
      for (const [i, part] of parts.entries()) etags.push((await s3.send(new UploadPartCommand({ Bucket: "dura", Key: key, UploadId, PartNumber: i + 1, Body: part }))).ETag);
      const completing = s3
        .send(new CompleteMultipartUploadCommand({ Bucket: "dura", Key: key, UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }))
        .then(() => true, () => false);
      // Kill at once or a little later: the crash lands before, during or after the commit.
      await new Promise((r) => setTimeout(r, round * 3));
      await stratus.restart("kill");
      const acknowledged = await completing;
      const after = new S3Client(stratus.config());
      const exists = await after.send(new HeadObjectCommand({ Bucket: "dura", Key: key })).then(() => true, () => false);
      if (exists) {
        const got = await after.send(new GetObjectCommand({ Bucket: "dura", Key: key }));
        assert.equal(sha(await bytes(got.Body)), whole, "a completed object is whole");
        await assert.rejects(after.send(new ListPartsCommand({ Bucket: "dura", Key: key, UploadId })), (e: any) => e.name === "NoSuchUpload");
        outcomes.add("completed");
      } else {
        assert.equal(acknowledged, false, "an acknowledged completion is never lost");
        const { Parts } = await after.send(new ListPartsCommand({ Bucket: "dura", Key: key, UploadId }));
        assert.deepEqual(Parts!.map((p) => p.ETag), etags, "the upload keeps its parts and can be completed again");
        await after.send(new CompleteMultipartUploadCommand({ Bucket: "dura", Key: key, UploadId, MultipartUpload: { Parts: etags.map((ETag, i) => ({ ETag, PartNumber: i + 1 })) } }));
        assert.equal(sha(await bytes((await after.send(new GetObjectCommand({ Bucket: "dura", Key: key }))).Body)), whole);
        outcomes.add("not completed");
      }
    }
    assert.ok(outcomes.size >= 1);
  });

  it("a graceful stop during a streaming upload exits, and leaves no partial object or temp file", async () => {
    const uploaded = sendSlowly(stratus.port, "/dura/graceful", 48 * MiB);
    await uploaded.halfway;
    await stratus.restart("stop");
    assert.equal(await uploaded.status, 0, "the upload was cut off, not acknowledged");
    await assert.rejects(new S3Client(stratus.config()).send(new HeadObjectCommand({ Bucket: "dura", Key: "graceful" })), (e: any) => e.$metadata.httpStatusCode === 404);
    assert.deepEqual(readdirSync(path.join(stratus.dataDir, "blobs", "s3", "tmp")), []);
  });

  it("a kill during streaming uploads leaves no partial object and no temp files, however often it happens", async () => {
    const sizes: number[] = [];
    for (let round = 0; round < 3; round++) {
      const uploaded = sendSlowly(stratus.port, `/dura/streaming-${round}`, 48 * MiB);
      // Kill once a good part of the body is on the server's disk.
      await uploaded.halfway;
      await stratus.restart("kill");
      assert.equal(await uploaded.status, 0, "the upload was never acknowledged");
      const s3 = new S3Client(stratus.config());
      await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: "dura", Key: `streaming-${round}` })), (e: any) => e.$metadata.httpStatusCode === 404);
      const listed = await s3.send(new ListObjectsV2Command({ Bucket: "dura", Prefix: "streaming" }));
      assert.equal(listed.KeyCount, 0);
      assert.deepEqual(readdirSync(path.join(stratus.dataDir, "blobs", "s3", "tmp")), [], "start-up removed the temp files");
      sizes.push(dirSize(path.join(stratus.dataDir, "blobs")));
    }
    // The data dir does not grow with each interrupted upload.
    assert.equal(new Set(sizes).size, 1, `blobs dir sizes ${sizes.join(", ")}`);
  });
});

function dirSize(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    const stat = statSync(full);
    total += stat.isDirectory() ? dirSize(full) : stat.size;
  }
  return total;
}

/** A PUT whose body trickles in; `halfway` resolves once half of it is sent, `status` is 0 when the server died first. */
function sendSlowly(port: number, key: string, size: number): { halfway: Promise<void>; status: Promise<number> } {
  let sent = 0;
  let markHalfway!: () => void;
  const halfway = new Promise<void>((r) => (markHalfway = r));
  const piece = randomBytes(256 * 1024);
  const body = new Readable({
    read() {
      if (sent >= size) return void this.push(null);
      sent += piece.length;
      if (sent >= size / 2) markHalfway();
      setTimeout(() => this.push(sent >= size / 2 ? piece : piece), sent >= size / 2 ? 200 : 1);
    },
  });
  const status = new Promise<number>((resolve) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        method: "PUT",
        path: key,
        agent: false,
        headers: {
          authorization: "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0",
          "x-amz-content-sha256": "UNSIGNED-PAYLOAD",
          "content-length": String(size),
        },
      },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", () => resolve(0));
    body.pipe(req);
  });
  return { halfway, status };
}
