/** Transfer Acceleration, Requester Pays and event notification configurations. */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CreateBucketCommand,
  GetBucketAccelerateConfigurationCommand,
  GetBucketNotificationConfigurationCommand,
  GetBucketRequestPaymentCommand,
  GetObjectCommand,
  PutBucketAccelerateConfigurationCommand,
  PutBucketNotificationConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketRequestPaymentCommand,
  PutObjectCommand,
  DeletePublicAccessBlockCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, sdkConfig, startTestStratus } from "../support/stratus.js";
import { bucketName, isError, s3Client } from "./support.js";

describe("S3 bucket settings: accelerate, request payment, notifications", () => {
  let stratus: RunningStratus;
  let s3: S3Client;

  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
  });
  after(() => stratus.stop());

  async function newBucket(name = bucketName("set")): Promise<string> {
    await s3.send(new CreateBucketCommand({ Bucket: name }));
    return name;
  }

  it("Transfer Acceleration: empty until set, Enabled/Suspended, refused for dotted names", async () => {
    const bucket = await newBucket();
    assert.equal((await s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket: bucket }))).Status, undefined);
    await s3.send(new PutBucketAccelerateConfigurationCommand({ Bucket: bucket, AccelerateConfiguration: { Status: "Enabled" } }));
    assert.equal((await s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket: bucket }))).Status, "Enabled");
    await assert.rejects(
      s3.send(new PutBucketAccelerateConfigurationCommand({ Bucket: bucket, AccelerateConfiguration: { Status: "Fast" as never } })),
      isError("MalformedXML", 400),
    );
    const cli = await awsCli(stratus, ["s3api", "put-bucket-accelerate-configuration", "--bucket", bucket, "--accelerate-configuration", "Status=Suspended"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((await awsCli(stratus, ["s3api", "get-bucket-accelerate-configuration", "--bucket", bucket])).json().Status, "Suspended");
    const dotted = await newBucket(`dotted.${bucketName("acc")}`);
    await assert.rejects(
      s3.send(new PutBucketAccelerateConfigurationCommand({ Bucket: dotted, AccelerateConfiguration: { Status: "Enabled" } })),
      (e: any) => isError("InvalidRequest", 400)(e) && /periods/.test(e.message),
    );
    await assert.rejects(s3.send(new GetBucketAccelerateConfigurationCommand({ Bucket: bucketName("none") })), isError("NoSuchBucket", 404));
  });

  it("Requester Pays: BucketOwner by default; then other accounts must acknowledge the charge", async () => {
    const bucket = await newBucket();
    assert.equal((await s3.send(new GetBucketRequestPaymentCommand({ Bucket: bucket }))).Payer, "BucketOwner");
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "data.csv", Body: "a,b" }));
    await s3.send(new DeletePublicAccessBlockCommand({ Bucket: bucket }));
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: bucket,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [{ Effect: "Allow", Principal: { AWS: "111111111111" }, Action: "s3:GetObject", Resource: `arn:aws:s3:::${bucket}/*` }],
        }),
      }),
    );
    const other = new S3Client({ ...sdkConfig(stratus), credentials: { accessKeyId: "111111111111", secretAccessKey: "x" }, forcePathStyle: true });
    await (await other.send(new GetObjectCommand({ Bucket: bucket, Key: "data.csv" }))).Body?.transformToString();
    const cli = await awsCli(stratus, ["s3api", "put-bucket-request-payment", "--bucket", bucket, "--request-payment-configuration", "Payer=Requester"]);
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal((await s3.send(new GetBucketRequestPaymentCommand({ Bucket: bucket }))).Payer, "Requester");
    await assert.rejects(other.send(new GetObjectCommand({ Bucket: bucket, Key: "data.csv" })), isError("AccessDenied", 403));
    const paid = await other.send(new GetObjectCommand({ Bucket: bucket, Key: "data.csv", RequestPayer: "requester" }));
    assert.equal(paid.RequestCharged, "requester");
    assert.equal(await paid.Body?.transformToString(), "a,b");
    // The owner pays for its own requests, without the header.
    await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "data.csv" }))).Body?.transformToString();
    await assert.rejects(
      s3.send(new PutBucketRequestPaymentCommand({ Bucket: bucket, RequestPaymentConfiguration: { Payer: "Anyone" as never } })),
      isError("MalformedXML", 400),
    );
    await s3.send(new PutBucketRequestPaymentCommand({ Bucket: bucket, RequestPaymentConfiguration: { Payer: "BucketOwner" } }));
    await (await other.send(new GetObjectCommand({ Bucket: bucket, Key: "data.csv" }))).Body?.transformToString();
  });

  it("notifications: empty round trip, EventBridge stored, unreachable SQS/SNS/Lambda destinations refused as S3 does", async () => {
    const bucket = await newBucket();
    const empty = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    assert.equal(empty.QueueConfigurations, undefined);
    assert.equal(empty.EventBridgeConfiguration, undefined);
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: {} }));
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { EventBridgeConfiguration: {} } }));
    assert.deepEqual((await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))).EventBridgeConfiguration, {});
    const queue = {
      QueueConfigurations: [
        { Id: "to-queue", QueueArn: "arn:aws:sqs:us-east-1:000000000000:jobs", Events: ["s3:ObjectCreated:*" as const], Filter: { Key: { FilterRules: [{ Name: "prefix" as const, Value: "in/" }] } } },
      ],
    };
    await assert.rejects(s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: queue })), (e: any) => {
      isError("InvalidArgument", 400)(e);
      assert.equal(e.message, "Unable to validate the following destination configurations");
      return true;
    });
    await assert.rejects(
      s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: { TopicConfigurations: [{ TopicArn: "not-an-arn", Events: ["s3:ObjectCreated:*"] }] } })),
      (e: any) => isError("InvalidArgument", 400)(e) && /ARN is not well formed/.test(e.message),
    );
    await assert.rejects(
      s3.send(
        new PutBucketNotificationConfigurationCommand({
          Bucket: bucket,
          NotificationConfiguration: { QueueConfigurations: [{ QueueArn: "arn:aws:sqs:us-east-1:000000000000:q", Events: ["s3:ObjectEaten:*" as never] }] },
          SkipDestinationValidation: true,
        }),
      ),
      (e: any) => isError("InvalidArgument", 400)(e) && /event is not supported/.test(e.message),
    );
    // Skipping destination validation stores the configuration.
    await s3.send(new PutBucketNotificationConfigurationCommand({ Bucket: bucket, NotificationConfiguration: queue, SkipDestinationValidation: true }));
    const stored = await awsCli(stratus, ["s3api", "get-bucket-notification-configuration", "--bucket", bucket]);
    assert.equal(stored.code, 0, stored.stderr);
    assert.equal(stored.json().QueueConfigurations[0].QueueArn, "arn:aws:sqs:us-east-1:000000000000:jobs");
    assert.equal(stored.json().EventBridgeConfiguration, undefined);
    const cleared = await awsCli(stratus, ["s3api", "put-bucket-notification-configuration", "--bucket", bucket, "--notification-configuration", "{}"]);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal((await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }))).QueueConfigurations, undefined);
  });
});
