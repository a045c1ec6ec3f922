import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  GetBucketLocationCommand,
  HeadBucketCommand,
  ListBucketsCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, startTestStratus } from "../support/stratus.js";
import { bucketName, isError, s3Client } from "./support.js";

describe("S3 buckets", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
  });
  after(() => stratus.stop());

  it("creates a bucket in us-east-1 without a location constraint and lists it with its region", async () => {
    const name = bucketName("east");
    const created = await s3.send(new CreateBucketCommand({ Bucket: name }));
    assert.equal(created.Location, `/${name}`);
    const head = await s3.send(new HeadBucketCommand({ Bucket: name }));
    assert.equal(head.BucketRegion, "us-east-1");
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: name }));
    assert.equal(location.LocationConstraint, undefined);
    const listed = await s3.send(new ListBucketsCommand({}));
    const entry = listed.Buckets!.find((b) => b.Name === name);
    assert.ok(entry?.CreationDate instanceof Date);
    assert.equal(entry?.BucketRegion, "us-east-1");
    assert.match(listed.Owner!.ID!, /^[0-9a-f]{64}$/);
  });

  it("creates buckets in other regions only with a matching LocationConstraint", async () => {
    const west = s3Client(stratus, { region: "us-west-2" });
    // SDK v3 adds the constraint by itself; the aws CLI's s3api does not.
    const bare = await awsCli(stratus, ["s3api", "create-bucket", "--bucket", bucketName("nolc")], { region: "us-west-2" });
    assert.notEqual(bare.code, 0);
    assert.match(bare.stderr, /IllegalLocationConstraintException.*The unspecified location constraint is incompatible for the region specific endpoint this request was sent to\./);
    await assert.rejects(
      west.send(new CreateBucketCommand({ Bucket: bucketName("mismatch"), CreateBucketConfiguration: { LocationConstraint: "eu-west-1" } })),
      (e: any) => e.name === "IllegalLocationConstraintException" && /The eu-west-1 location constraint is incompatible/.test(e.message),
    );
    const name = bucketName("west");
    await west.send(new CreateBucketCommand({ Bucket: name, CreateBucketConfiguration: { LocationConstraint: "us-west-2" } }));
    const location = await s3.send(new GetBucketLocationCommand({ Bucket: name }));
    assert.equal(location.LocationConstraint, "us-west-2");
    // From us-east-1 (the global endpoint) any valid constraint is honoured.
    const eu = bucketName("eu");
    await s3.send(new CreateBucketCommand({ Bucket: eu, CreateBucketConfiguration: { LocationConstraint: "eu-central-1" } }));
    assert.equal((await s3.send(new HeadBucketCommand({ Bucket: eu }))).BucketRegion, "eu-central-1");
    await assert.rejects(
      s3.send(new CreateBucketCommand({ Bucket: bucketName("bad"), CreateBucketConfiguration: { LocationConstraint: "mars-north-1" as never } })),
      isError("InvalidLocationConstraint", 400),
    );
  });

  it("enforces bucket naming rules", async () => {
    for (const bad of ["ab", "UpperCase", "has_underscore", "-starts-with-dash", "ends-with-dash-", "two..dots", "192.168.1.1", "xn--punycode", "a".repeat(64)]) {
      await assert.rejects(s3.send(new CreateBucketCommand({ Bucket: bad })), isError("InvalidBucketName", 400), bad);
    }
  });

  it("answers BucketAlreadyOwnedByYou outside us-east-1, 200 inside it, and BucketAlreadyExists across accounts", async () => {
    const name = bucketName("dup");
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    const west = s3Client(stratus, { region: "us-west-2" });
    const westName = bucketName("dupw");
    await west.send(new CreateBucketCommand({ Bucket: westName, CreateBucketConfiguration: { LocationConstraint: "us-west-2" } }));
    await assert.rejects(
      west.send(new CreateBucketCommand({ Bucket: westName, CreateBucketConfiguration: { LocationConstraint: "us-west-2" } })),
      isError("BucketAlreadyOwnedByYou", 409),
    );
    const other = s3Client(stratus, { credentials: { accessKeyId: "111122223333", secretAccessKey: "x" } });
    await assert.rejects(other.send(new CreateBucketCommand({ Bucket: name })), isError("BucketAlreadyExists", 409));
  });

  it("keeps accounts apart: another account neither lists nor reads my bucket", async () => {
    const name = bucketName("mine");
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    const other = s3Client(stratus, { credentials: { accessKeyId: "444455556666", secretAccessKey: "x" } });
    const listed = await other.send(new ListBucketsCommand({}));
    assert.ok(!(listed.Buckets ?? []).some((b) => b.Name === name));
    await assert.rejects(other.send(new HeadBucketCommand({ Bucket: name })), (e: any) => e.$metadata.httpStatusCode === 403);
  });

  it("paginates ListBuckets with MaxBuckets and filters by prefix and region", async () => {
    const acct = s3Client(stratus, { credentials: { accessKeyId: "777788889999", secretAccessKey: "x" } });
    const names = ["pg-a-" + process.pid, "pg-b-" + process.pid, "pg-c-" + process.pid];
    for (const n of names) await acct.send(new CreateBucketCommand({ Bucket: n }));
    const first = await acct.send(new ListBucketsCommand({ MaxBuckets: 2 }));
    assert.deepEqual(first.Buckets!.map((b) => b.Name), names.slice(0, 2));
    assert.ok(first.ContinuationToken);
    const second = await acct.send(new ListBucketsCommand({ MaxBuckets: 2, ContinuationToken: first.ContinuationToken }));
    assert.deepEqual(second.Buckets!.map((b) => b.Name), names.slice(2));
    assert.equal(second.ContinuationToken, undefined);
    const filtered = await acct.send(new ListBucketsCommand({ Prefix: "pg-b", BucketRegion: "us-east-1" }));
    assert.deepEqual(filtered.Buckets!.map((b) => b.Name), [names[1]]);
  });

  it("refuses to delete a bucket while an object, a version or a delete marker remains", async () => {
    const name = bucketName("del");
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: "Enabled" } }));
    const put = await s3.send(new PutObjectCommand({ Bucket: name, Key: "k", Body: "x" }));
    await assert.rejects(s3.send(new DeleteBucketCommand({ Bucket: name })), isError("BucketNotEmpty", 409));
    const marker = await s3.send(new DeleteObjectCommand({ Bucket: name, Key: "k" }));
    assert.equal(marker.DeleteMarker, true);
    await s3.send(new DeleteObjectCommand({ Bucket: name, Key: "k", VersionId: put.VersionId }));
    await assert.rejects(s3.send(new DeleteBucketCommand({ Bucket: name })), isError("BucketNotEmpty", 409));
    await s3.send(new DeleteObjectCommand({ Bucket: name, Key: "k", VersionId: marker.VersionId }));
    await s3.send(new DeleteBucketCommand({ Bucket: name }));
    await assert.rejects(s3.send(new HeadBucketCommand({ Bucket: name })), (e: any) => e.$metadata.httpStatusCode === 404);
    await assert.rejects(s3.send(new DeleteBucketCommand({ Bucket: name })), isError("NoSuchBucket", 404));
  });

  it("runs mb/ls/rb through the aws CLI, including --region for another region", async () => {
    const name = bucketName("cli");
    const mb = await awsCli(stratus, ["s3", "mb", `s3://${name}`, "--region", "us-west-2"]);
    assert.equal(mb.code, 0, mb.stderr);
    assert.match(mb.stdout, new RegExp(`make_bucket: ${name}`));
    const location = await awsCli(stratus, ["s3api", "get-bucket-location", "--bucket", name]);
    assert.equal(location.json().LocationConstraint, "us-west-2");
    const ls = await awsCli(stratus, ["s3", "ls"]);
    assert.match(ls.stdout, new RegExp(`\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}:\\d{2} ${name}\\n`));
    const rb = await awsCli(stratus, ["s3", "rb", `s3://${name}`, "--region", "us-west-2"]);
    assert.equal(rb.code, 0, rb.stderr);
    const missing = await awsCli(stratus, ["s3api", "head-bucket", "--bucket", name]);
    assert.notEqual(missing.code, 0);
    assert.match(missing.stderr, /404/);
  });
});
