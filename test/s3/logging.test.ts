/** Server access logging: configuration checks, and log objects delivered on the Stratus clock. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateBucketCommand,
  GetBucketLoggingCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutBucketLoggingCommand,
  PutBucketOwnershipControlsCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketAclCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, startTestStratus } from "../support/stratus.js";
import { bucketName, isError, s3Client } from "./support.js";

describe("S3 server access logging", () => {
  let stratus: RunningStratus;
  let s3: S3Client;

  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    s3 = s3Client(stratus);
  });
  after(() => stratus.stop());

  async function newBucket(label: string, region = "us-east-1"): Promise<string> {
    const name = bucketName(label);
    const client = region === "us-east-1" ? s3 : s3Client(stratus, { region });
    await client.send(new CreateBucketCommand({ Bucket: name, ...(region === "us-east-1" ? {} : { CreateBucketConfiguration: { LocationConstraint: region as never } }) }));
    return name;
  }

  /** The bucket policy AWS documents for log delivery: the logging service may put objects. */
  async function allowLogDelivery(target: string, source: string) {
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: target,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "logging.s3.amazonaws.com" },
              Action: "s3:PutObject",
              Resource: `arn:aws:s3:::${target}/*`,
              Condition: { ArnLike: { "aws:SourceArn": `arn:aws:s3:::${source}` }, StringEquals: { "aws:SourceAccount": "000000000000" } },
            },
          ],
        }),
      }),
    );
  }

  async function logObjects(target: string, prefix: string) {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: target, Prefix: prefix }));
    const out: Array<{ key: string; text: string }> = [];
    for (const object of listed.Contents ?? []) {
      const got = await s3.send(new GetObjectCommand({ Bucket: target, Key: object.Key }));
      out.push({ key: object.Key!, text: (await got.Body?.transformToString()) ?? "" });
    }
    return out;
  }

  it("checks the target bucket: exists, same owner, same region, no default retention, no grants when ACLs are off", async () => {
    const source = await newBucket("src");
    const put = (LoggingEnabled: any, Bucket = source) => s3.send(new PutBucketLoggingCommand({ Bucket, BucketLoggingStatus: { LoggingEnabled } }));
    assert.deepEqual((await s3.send(new GetBucketLoggingCommand({ Bucket: source }))).LoggingEnabled, undefined);
    await assert.rejects(put({ TargetBucket: bucketName("missing"), TargetPrefix: "logs/" }), isError("InvalidTargetBucketForLogging", 400));
    const foreign = bucketName("foreign");
    await s3Client(stratus, { credentials: { accessKeyId: "111111111111", secretAccessKey: "x" } }).send(new CreateBucketCommand({ Bucket: foreign }));
    await assert.rejects(put({ TargetBucket: foreign, TargetPrefix: "logs/" }), isError("InvalidTargetBucketForLogging", 400));
    const far = await newBucket("far", "eu-west-1");
    await assert.rejects(put({ TargetBucket: far, TargetPrefix: "logs/" }), isError("CrossLocationLoggingProhibitted", 403));
    const locked = bucketName("locked");
    await s3.send(new CreateBucketCommand({ Bucket: locked, ObjectLockEnabledForBucket: true }));
    await s3.send(
      new PutObjectLockConfigurationCommand({ Bucket: locked, ObjectLockConfiguration: { ObjectLockEnabled: "Enabled", Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 1 } } } }),
    );
    await assert.rejects(put({ TargetBucket: locked, TargetPrefix: "logs/" }), isError("InvalidTargetBucketForLogging", 400));
    const target = await newBucket("target");
    const grants = [{ Grantee: { Type: "Group", URI: "http://acs.amazonaws.com/groups/global/AllUsers" }, Permission: "READ" }];
    await assert.rejects(put({ TargetBucket: target, TargetPrefix: "logs/", TargetGrants: grants }), isError("InvalidTargetBucketForLogging", 400));
    await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: target, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerPreferred" }] } }));
    await put({ TargetBucket: target, TargetPrefix: "logs/", TargetGrants: grants });
    const got = await s3.send(new GetBucketLoggingCommand({ Bucket: source }));
    assert.equal(got.LoggingEnabled?.TargetBucket, target);
    assert.equal(got.LoggingEnabled?.TargetGrants?.[0]?.Permission, "READ");
    // An empty status turns logging off.
    await s3.send(new PutBucketLoggingCommand({ Bucket: source, BucketLoggingStatus: {} }));
    assert.equal((await s3.send(new GetBucketLoggingCommand({ Bucket: source }))).LoggingEnabled, undefined);
  });

  it("delivers records in AWS's format as objects under the target prefix, batched on the clock", async () => {
    const source = await newBucket("data");
    const target = await newBucket("logs");
    await allowLogDelivery(target, source);
    const cli = await awsCli(stratus, [
      "s3api", "put-bucket-logging", "--bucket", source,
      "--bucket-logging-status", JSON.stringify({ LoggingEnabled: { TargetBucket: target, TargetPrefix: "access/" } }),
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((await awsCli(stratus, ["s3api", "get-bucket-logging", "--bucket", source])).json().LoggingEnabled.TargetPrefix, "access/");
    await s3.send(new PutObjectCommand({ Bucket: source, Key: "dir/model one.bin", Body: "0123456789" }));
    await (await s3.send(new GetObjectCommand({ Bucket: source, Key: "dir/model one.bin" }))).Body?.transformToString();
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: source, Key: "absent" })), isError("NoSuchKey", 404));
    const listed = await awsCli(stratus, ["s3api", "list-objects-v2", "--bucket", source]);
    assert.equal(listed.code, 0, listed.stderr);
    assert.deepEqual(await logObjects(target, "access/"), [], "nothing is delivered before the batch is due");
    await stratus.clock.advance("10m");
    const delivered = await logObjects(target, "access/");
    assert.equal(delivered.length, 1);
    assert.match(delivered[0].key, /^access\/\d{4}-\d{2}-\d{2}-\d{2}-\d{2}-\d{2}-[0-9A-F]{16}$/);
    const lines = delivered[0].text.trim().split("\n");
    // put-bucket-logging itself (answered once logging was on), get-bucket-logging, PUT, GET, the 404 GET, the listing.
    assert.deepEqual(
      lines.map((l) => l.match(/"[^"]*"|\[[^\]]*\]|\S+/g)![6]),
      ["REST.PUT.LOGGING_STATUS", "REST.GET.LOGGING_STATUS", "REST.PUT.OBJECT", "REST.GET.OBJECT", "REST.GET.OBJECT", "REST.GET.BUCKET"],
    );
    const put = lines.find((l) => l.includes("REST.PUT.OBJECT"))!;
    const fields = put.match(/"[^"]*"|\[[^\]]*\]|\S+/g)!;
    assert.equal(fields[1], source);
    assert.match(fields[2], /^\[\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000\]$/);
    assert.equal(fields[6], "REST.PUT.OBJECT");
    assert.equal(fields[7], "dir/model%20one.bin");
    assert.match(fields[8], /^"PUT \/.+ HTTP\/1\.1"$/);
    assert.equal(fields[9], "200");
    assert.equal(fields[10], "-");
    assert.equal(fields[12], "10");
    assert.equal(fields[19], "SigV4");
    assert.equal(fields[21], "AuthHeader");
    const missing = lines.find((l) => l.includes(" NoSuchKey "));
    assert.ok(missing && / 404 NoSuchKey /.test(missing), "failed requests are logged with their error code");
    assert.ok(lines.some((l) => l.includes("REST.GET.BUCKET ")), "listings are logged");
    // Later requests make a new log object.
    await s3.send(new PutObjectCommand({ Bucket: source, Key: "again", Body: "x" }));
    await stratus.clock.advance("10m");
    assert.equal((await logObjects(target, "access/")).length, 2);
  });

  it("delivers only where the target lets the logging service write: bucket policy, or Log Delivery ACL grant", async () => {
    const source = await newBucket("quiet");
    const target = await newBucket("closed");
    await s3.send(new PutBucketLoggingCommand({ Bucket: source, BucketLoggingStatus: { LoggingEnabled: { TargetBucket: target, TargetPrefix: "l/" } } }));
    await s3.send(new PutObjectCommand({ Bucket: source, Key: "k", Body: "v" }));
    await stratus.clock.advance("10m");
    assert.deepEqual(await logObjects(target, "l/"), [], "no permission, no logs");
    // The legacy way: ACLs on, WRITE for the Log Delivery group.
    await s3.send(new PutBucketOwnershipControlsCommand({ Bucket: target, OwnershipControls: { Rules: [{ ObjectOwnership: "BucketOwnerPreferred" }] } }));
    await s3.send(new PutBucketAclCommand({ Bucket: target, ACL: "log-delivery-write" as never }));
    await s3.send(new PutObjectCommand({ Bucket: source, Key: "k", Body: "v2" }));
    await stratus.clock.advance("10m");
    assert.equal((await logObjects(target, "l/")).length, 1);
  });

  it("PartitionedPrefix keys carry account, region, bucket and date", async () => {
    const source = await newBucket("part");
    const target = await newBucket("plog");
    await allowLogDelivery(target, source);
    await s3.send(
      new PutBucketLoggingCommand({
        Bucket: source,
        BucketLoggingStatus: { LoggingEnabled: { TargetBucket: target, TargetPrefix: "p/", TargetObjectKeyFormat: { PartitionedPrefix: { PartitionDateSource: "EventTime" } } } },
      }),
    );
    await s3.send(new PutObjectCommand({ Bucket: source, Key: "k", Body: "v" }));
    await stratus.clock.advance("10m");
    const delivered = await logObjects(target, "p/");
    assert.equal(delivered.length, 1);
    assert.match(delivered[0].key, new RegExp(`^p/\\d{12}/us-east-1/${source}/\\d{4}/\\d{2}/\\d{2}/\\d{4}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-\\d{2}-[0-9A-F]{16}$`));
  });
});
