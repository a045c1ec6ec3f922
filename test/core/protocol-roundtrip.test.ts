/**
 * Round trips against the SDK v3's own serializers, for every protocol:
 * the SDK serializes a request, Stratus parses it (checked against what was
 * sent), an echo provider answers from the input, Stratus serializes, the
 * SDK deserializes (checked against what was answered). Lists, maps, nested
 * and recursive structures, timestamps, blobs, booleans, numbers, unicode.
 * The echo services are the real service definitions (routing, protocol
 * choice) with test providers, injected through startStratus({ services }).
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import * as CW from "@aws-sdk/client-cloudwatch";
import { CostExplorerClient, GetCostAndUsageCommand } from "@aws-sdk/client-cost-explorer";
import { CreateLifecyclePolicyCommand, DLMClient, GetLifecyclePoliciesCommand, GetLifecyclePolicyCommand, TagResourceCommand, UntagResourceCommand } from "@aws-sdk/client-dlm";
import { EBSClient, GetSnapshotBlockCommand, PutSnapshotBlockCommand } from "@aws-sdk/client-ebs";
import { DescribeSpotPriceHistoryCommand, EC2Client, ImportKeyPairCommand, RunInstancesCommand } from "@aws-sdk/client-ec2";
import { CreatePolicyVersionCommand, CreateRoleCommand, GetAccountSummaryCommand, GetCredentialReportCommand, IAMClient } from "@aws-sdk/client-iam";
import { CreateKeyCommand, EncryptCommand, KMSClient } from "@aws-sdk/client-kms";
import { GetBucketTaggingCommand, GetObjectCommand, ListObjectsV2Command, PutBucketTaggingCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { AwsQueryProtocol, AwsSmithyRpcV2CborProtocol } from "@aws-sdk/core/protocols";
import type { RunningStratus } from "../../src/index.js";
import { ce } from "../../src/services/ce/index.js";
import { cloudwatch } from "../../src/services/cloudwatch/index.js";
import { dlm } from "../../src/services/dlm/index.js";
import { ebs } from "../../src/services/ebs/index.js";
import { ec2 } from "../../src/services/ec2/index.js";
import { iam } from "../../src/services/iam/index.js";
import { kms } from "../../src/services/kms/index.js";
import { s3 } from "../../src/services/s3/index.js";
import type { ServiceDefinition } from "../../src/services/types.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

type Handler = (input: any) => unknown;
const received = new Map<string, any>();

/** The real definition (routing, protocols) with a provider that records inputs and answers from them. */
function echo(definition: ServiceDefinition, handlers: Record<string, Handler>): ServiceDefinition {
  return {
    ...definition,
    createProvider: (cloud) => {
      const provider: Record<string, unknown> = { cloud };
      for (const [operation, handler] of Object.entries(handlers)) {
        provider[operation] = async (input: any) => {
          received.set(`${definition.name}.${operation}`, input);
          return handler(input);
        };
      }
      return provider as any;
    },
  };
}

async function streamToBuffer(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

const UNICODE = "Ünïcödé ✓ 雪 🚀 <&>\"'";
/** What IAM's Latin-1 patterns (descriptions, tag values) accept. */
const LATIN1 = "Ünïcödé àçcént ÿ";
const T1 = new Date("2025-01-02T03:04:05.678Z");
const T2 = new Date("2025-03-04T05:06:07.000Z");
const BYTES = Buffer.from(Array.from({ length: 256 }, (_, i) => i));

const SERVICES: ServiceDefinition[] = [
  echo(cloudwatch, {
    PutMetricData: () => ({}),
    GetMetricData: (input) => ({
      MetricDataResults: [
        { Id: input.MetricDataQueries[0].Id, Label: UNICODE, Timestamps: [input.StartTime, input.EndTime], Values: [1.5, -0.25, 1e-7, 123456789.125], StatusCode: "Complete", Messages: [] },
      ],
      Messages: [{ Code: "c", Value: UNICODE }],
    }),
    GetMetricStatistics: (input) => ({
      Label: input.MetricName,
      Datapoints: [{ Timestamp: input.StartTime, Average: 2.5, Sum: 10, SampleCount: 4, Unit: "Percent", ExtendedStatistics: { p99: 9.75, "p99.9": 9.99 } }],
    }),
    GetMetricWidgetImage: () => ({ MetricWidgetImage: BYTES }),
  }),
  echo(iam, {
    CreateRole: (input) => ({
      Role: {
        RoleName: input.RoleName,
        Path: input.Path,
        RoleId: "AROAEXAMPLEEXAMPLE123",
        Arn: `arn:aws:iam::000000000000:role${input.Path}${input.RoleName}`,
        CreateDate: T1,
        Description: input.Description,
        MaxSessionDuration: input.MaxSessionDuration,
        Tags: input.Tags,
        RoleLastUsed: { LastUsedDate: T2, Region: "eu-west-1" },
      },
    }),
    GetAccountSummary: () => ({ SummaryMap: { Roles: 3, RolesQuota: 1000, AccountMFAEnabled: 0 } }),
    GetCredentialReport: () => ({ Content: BYTES, ReportFormat: "text/csv", GeneratedTime: T2 }),
    CreatePolicyVersion: (input) => ({ PolicyVersion: { VersionId: "v2", IsDefaultVersion: input.SetAsDefault, CreateDate: T1 } }),
  }),
  echo(ec2, {
    RunInstances: (input) => ({
      ReservationId: "r-0123456789abcdef0",
      OwnerId: "000000000000",
      Groups: [],
      Instances: [
        {
          InstanceId: "i-0123456789abcdef0",
          ImageId: input.ImageId,
          InstanceType: input.InstanceType,
          LaunchTime: T1,
          EbsOptimized: input.EbsOptimized,
          Tags: input.TagSpecifications[0].Tags,
          SecurityGroups: input.SecurityGroupIds.map((id: string) => ({ GroupId: id, GroupName: UNICODE })),
          BlockDeviceMappings: input.BlockDeviceMappings.map((m: any) => ({
            DeviceName: m.DeviceName,
            Ebs: { VolumeId: "vol-0123456789abcdef0", AttachTime: T2, DeleteOnTermination: m.Ebs.DeleteOnTermination, Status: "attached" },
          })),
          State: { Code: 16, Name: "running" },
          CpuOptions: { CoreCount: 1, ThreadsPerCore: 2 },
        },
      ],
    }),
    ImportKeyPair: (input) => ({ KeyName: input.KeyName, KeyFingerprint: createHash("md5").update(input.PublicKeyMaterial).digest("hex"), KeyPairId: "key-0123456789abcdef0" }),
    DescribeSpotPriceHistory: (input) => ({
      SpotPriceHistory: input.InstanceTypes.map((type: string) => ({ InstanceType: type, SpotPrice: "0.003500", Timestamp: input.StartTime, AvailabilityZone: "us-east-1a", ProductDescription: "Linux/UNIX" })),
    }),
  }),
  echo(kms, {
    Encrypt: (input) => ({ CiphertextBlob: Buffer.from(input.Plaintext).reverse(), KeyId: input.KeyId, EncryptionAlgorithm: "SYMMETRIC_DEFAULT" }),
    CreateKey: (input) => ({
      KeyMetadata: {
        KeyId: "1234abcd-12ab-34cd-56ef-1234567890ab",
        CreationDate: T1,
        Enabled: true,
        Description: input.Description,
        MultiRegion: input.MultiRegion,
        KeyUsage: "ENCRYPT_DECRYPT",
        EncryptionAlgorithms: ["SYMMETRIC_DEFAULT"],
      },
    }),
  }),
  echo(ce, {
    GetCostAndUsage: (input) => ({
      ResultsByTime: [
        {
          TimePeriod: input.TimePeriod,
          Total: { UnblendedCost: { Amount: "13.52", Unit: "USD" }, UsageQuantity: { Amount: "730", Unit: "Hrs" } },
          Groups: [{ Keys: [UNICODE], Metrics: { UnblendedCost: { Amount: "8.47", Unit: "USD" } } }],
          Estimated: true,
        },
      ],
      DimensionValueAttributes: [],
    }),
  }),
  echo(dlm, {
    CreateLifecyclePolicy: () => ({ PolicyId: "policy-0123456789abcdef0" }),
    GetLifecyclePolicy: (input) => {
      const created = received.get("dlm.CreateLifecyclePolicy");
      return {
        Policy: {
          PolicyId: input.PolicyId,
          Description: created.Description,
          State: created.State,
          ExecutionRoleArn: created.ExecutionRoleArn,
          DateCreated: T1,
          DateModified: T2,
          PolicyDetails: created.PolicyDetails,
          Tags: created.Tags,
          PolicyArn: `arn:aws:dlm:us-east-1:000000000000:policy/${input.PolicyId}`,
        },
      };
    },
    GetLifecyclePolicies: (input) => ({
      Policies: (input.PolicyIds ?? []).map((id: string) => ({ PolicyId: id, Description: UNICODE, State: "ENABLED", Tags: { from: "query" }, PolicyType: "EBS_SNAPSHOT_MANAGEMENT", DefaultPolicy: false })),
    }),
    TagResource: () => ({}),
    UntagResource: () => ({}),
  }),
  echo(ebs, {
    PutSnapshotBlock: async (input) => {
      const data = await streamToBuffer(input.BlockData);
      received.set("ebs.PutSnapshotBlock.data", data);
      return { Checksum: createHash("sha256").update(data).digest("base64"), ChecksumAlgorithm: "SHA256" };
    },
    GetSnapshotBlock: () => {
      const data = received.get("ebs.PutSnapshotBlock.data") as Buffer;
      return { DataLength: data.length, BlockData: Readable.from([data]), Checksum: createHash("sha256").update(data).digest("base64"), ChecksumAlgorithm: "SHA256" };
    },
  }),
  echo(s3, {
    PutObject: async (input) => {
      const data = await streamToBuffer(input.Body);
      received.set("s3.PutObject.data", data);
      return { ETag: `"${createHash("md5").update(data).digest("hex")}"`, VersionId: "v-1" };
    },
    GetObject: () => {
      const put = received.get("s3.PutObject");
      const data = received.get("s3.PutObject.data") as Buffer;
      return {
        Body: Readable.from([data]),
        ContentLength: data.length,
        ContentType: put.ContentType,
        Metadata: put.Metadata,
        LastModified: T2,
        ETag: `"${createHash("md5").update(data).digest("hex")}"`,
        TagCount: 2,
        VersionId: "v-1",
      };
    },
    PutBucketTagging: () => ({}),
    GetBucketTagging: () => ({ TagSet: received.get("s3.PutBucketTagging").Tagging.TagSet }),
    ListObjectsV2: (input) => ({
      Name: input.Bucket,
      Prefix: input.Prefix,
      MaxKeys: input.MaxKeys,
      KeyCount: 2,
      IsTruncated: false,
      Contents: [
        { Key: `${input.Prefix}a ${UNICODE}`, LastModified: T1, ETag: '"e1"', Size: 5_000_000_000, StorageClass: "STANDARD_IA", Owner: input.FetchOwner ? { ID: "owner-id", DisplayName: "me" } : undefined },
        { Key: `${input.Prefix}b`, LastModified: T2, ETag: '"e2"', Size: 0, StorageClass: "GLACIER_IR" },
      ],
      CommonPrefixes: [{ Prefix: `${input.Prefix}dir/` }],
    }),
  }),
];

describe("protocol round trips against the SDK v3's serializers", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus({ services: SERVICES });
  });
  after(() => stratus.stop());

  const cloudWatchProtocols = [
    { name: "awsJson1_0 (the SDK's default)", config: {} },
    { name: "awsQuery", config: { protocol: AwsQueryProtocol } },
    { name: "smithy-rpc-v2-cbor", config: { protocol: AwsSmithyRpcV2CborProtocol } },
  ];
  for (const variant of cloudWatchProtocols) {
    describe(`CloudWatch over ${variant.name}`, () => {
      const client = () =>
        new CW.CloudWatchClient({
          ...sdkConfig(stratus),
          ...variant.config,
          protocolSettings: {
            defaultNamespace: "com.amazonaws.cloudwatch",
            xmlNamespace: "http://monitoring.amazonaws.com/doc/2010-08-01/",
            version: "2010-08-01",
            serviceTarget: "GraniteServiceVersion20100801",
            awsQueryCompatible: true,
          },
        } as any);

      it("parses nested lists, maps, timestamps, doubles, booleans and unicode", async () => {
        const input = {
          Namespace: `Stratus/${UNICODE}`,
          MetricData: [
            {
              MetricName: "m1",
              Dimensions: [
                { Name: "InstanceId", Value: "i-1" },
                { Name: "Ω", Value: "雪" },
              ],
              Timestamp: T1,
              Value: 1.5,
              Unit: "Seconds" as const,
              StorageResolution: 1,
            },
            { MetricName: "m2", Values: [0, -2.25, 1e300, 5e-324], Counts: [1, 2, 3, 4], StatisticValues: { SampleCount: 3, Sum: 6.5, Minimum: -1, Maximum: 4 } },
          ],
          EntityMetricData: [
            {
              Entity: { KeyAttributes: { Type: "Service", Name: UNICODE }, Attributes: { "a.b": "c", "é": "x" } },
              MetricData: [{ MetricName: "m3", Value: 0 }],
            },
          ],
          StrictEntityValidation: true,
        };
        await client().send(new CW.PutMetricDataCommand(input));
        assert.deepEqual(received.get("cloudwatch.PutMetricData"), input);
      });

      it("serializes timestamp and double lists back", async () => {
        const input = {
          MetricDataQueries: [
            {
              Id: "q1",
              MetricStat: { Metric: { Namespace: "AWS/EC2", MetricName: "CPUUtilization", Dimensions: [{ Name: "InstanceId", Value: "i-1" }] }, Period: 60, Stat: "Average" },
              ReturnData: false,
            },
          ],
          StartTime: T1,
          EndTime: T2,
          MaxDatapoints: 100,
          LabelOptions: { Timezone: "+0130" },
        };
        const output = await client().send(new CW.GetMetricDataCommand(input));
        assert.deepEqual(received.get("cloudwatch.GetMetricData"), input);
        const result = output.MetricDataResults![0];
        assert.equal(result.Id, "q1");
        assert.equal(result.Label, UNICODE);
        assert.deepEqual(result.Timestamps, [T1, T2]);
        assert.deepEqual(result.Values, [1.5, -0.25, 1e-7, 123456789.125]);
        assert.equal(result.StatusCode, "Complete");
        assert.deepEqual(output.Messages, [{ Code: "c", Value: UNICODE }]);
      });

      it("serializes maps of doubles and blobs back", async () => {
        const stats = await client().send(new CW.GetMetricStatisticsCommand({ Namespace: "n", MetricName: "m", StartTime: T1, EndTime: T2, Period: 300, ExtendedStatistics: ["p99"] }));
        assert.equal(stats.Label, "m");
        assert.deepEqual(stats.Datapoints, [{ Timestamp: T1, Average: 2.5, Sum: 10, SampleCount: 4, Unit: "Percent", ExtendedStatistics: { p99: 9.75, "p99.9": 9.99 } }]);
        const image = await client().send(new CW.GetMetricWidgetImageCommand({ MetricWidget: JSON.stringify({ title: UNICODE }) }));
        assert.deepEqual(Buffer.from(image.MetricWidgetImage!), BYTES);
        assert.deepEqual(received.get("cloudwatch.GetMetricWidgetImage"), { MetricWidget: JSON.stringify({ title: UNICODE }) });
      });
    });
  }

  describe("awsQuery (IAM)", () => {
    it("round-trips lists of structures, numbers, unicode, timestamps and nested structures", async () => {
      const client = new IAMClient(sdkConfig(stratus));
      const input = {
        RoleName: "echo-role",
        Path: "/a/b/",
        AssumeRolePolicyDocument: JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }),
        Description: LATIN1,
        MaxSessionDuration: 43200,
        Tags: [
          { Key: "k1", Value: LATIN1 },
          { Key: "k2", Value: "" },
        ],
      };
      const { Role } = await client.send(new CreateRoleCommand(input));
      assert.deepEqual(received.get("iam.CreateRole"), input);
      assert.equal(Role!.Arn, "arn:aws:iam::000000000000:role/a/b/echo-role");
      assert.equal(Role!.Description, LATIN1);
      assert.equal(Role!.MaxSessionDuration, 43200);
      assert.deepEqual(Role!.CreateDate, T1);
      assert.deepEqual(Role!.Tags, input.Tags);
      assert.deepEqual(Role!.RoleLastUsed, { LastUsedDate: T2, Region: "eu-west-1" });
    });

    it("round-trips maps, blobs and booleans", async () => {
      const client = new IAMClient(sdkConfig(stratus));
      const summary = await client.send(new GetAccountSummaryCommand({}));
      assert.deepEqual(summary.SummaryMap, { Roles: 3, RolesQuota: 1000, AccountMFAEnabled: 0 });
      const report = await client.send(new GetCredentialReportCommand({}));
      assert.deepEqual(Buffer.from(report.Content!), BYTES);
      assert.deepEqual(report.GeneratedTime, T2);
      for (const setAsDefault of [true, false]) {
        const version = await client.send(new CreatePolicyVersionCommand({ PolicyArn: "arn:aws:iam::000000000000:policy/p", PolicyDocument: "{}", SetAsDefault: setAsDefault }));
        assert.equal(received.get("iam.CreatePolicyVersion").SetAsDefault, setAsDefault);
        assert.equal(version.PolicyVersion!.IsDefaultVersion, setAsDefault);
      }
    });
  });

  describe("ec2 query", () => {
    it("round-trips the exercise's RunInstances shapes", async () => {
      const client = new EC2Client(sdkConfig(stratus));
      const input = {
        ImageId: "ami-0c55b159cbfafe1f0",
        InstanceType: "t2.micro" as const,
        MinCount: 1,
        MaxCount: 1,
        KeyName: "ml-inference-key",
        SecurityGroupIds: ["sg-1", "sg-2"],
        IamInstanceProfile: { Name: "ml-inference-ec2-profile" },
        UserData: Buffer.from(`#!/bin/bash\necho ${UNICODE}\n`).toString("base64"),
        EbsOptimized: false,
        TagSpecifications: [{ ResourceType: "instance" as const, Tags: [{ Key: "Name", Value: "ml-inference-server" }, { Key: "Owner", Value: UNICODE }] }],
        BlockDeviceMappings: [{ DeviceName: "/dev/sda1", Ebs: { VolumeSize: 20, VolumeType: "gp3" as const, DeleteOnTermination: true, Iops: 3000, Throughput: 125 } }],
      };
      const reservation = await client.send(new RunInstancesCommand(input));
      const parsed = received.get("ec2.RunInstances");
      assert.match(parsed.ClientToken, /^[0-9a-f-]{36}$/, "the SDK fills in the idempotency token");
      assert.deepEqual(parsed, { ...input, ClientToken: parsed.ClientToken });
      const instance = reservation.Instances![0];
      assert.equal(instance.ImageId, input.ImageId);
      assert.deepEqual(instance.LaunchTime, T1);
      assert.equal(instance.EbsOptimized, false);
      assert.deepEqual(instance.Tags, input.TagSpecifications[0].Tags);
      assert.deepEqual(instance.SecurityGroups, [{ GroupId: "sg-1", GroupName: UNICODE }, { GroupId: "sg-2", GroupName: UNICODE }]);
      assert.deepEqual(instance.BlockDeviceMappings, [{ DeviceName: "/dev/sda1", Ebs: { VolumeId: "vol-0123456789abcdef0", AttachTime: T2, DeleteOnTermination: true, Status: "attached" } }]);
      assert.deepEqual(instance.State, { Code: 16, Name: "running" });
      assert.deepEqual(instance.CpuOptions, { CoreCount: 1, ThreadsPerCore: 2 });
    });

    it("round-trips blobs and timestamps", async () => {
      const client = new EC2Client(sdkConfig(stratus));
      const imported = await client.send(new ImportKeyPairCommand({ KeyName: UNICODE, PublicKeyMaterial: BYTES }));
      assert.deepEqual(Buffer.from(received.get("ec2.ImportKeyPair").PublicKeyMaterial), BYTES);
      assert.equal(imported.KeyFingerprint, createHash("md5").update(BYTES).digest("hex"));
      assert.equal(imported.KeyName, UNICODE);
      const history = await client.send(new DescribeSpotPriceHistoryCommand({ InstanceTypes: ["t2.micro", "t3.small"], StartTime: T1, ProductDescriptions: ["Linux/UNIX"] }));
      assert.deepEqual(history.SpotPriceHistory!.map((p) => [p.InstanceType, p.Timestamp, p.SpotPrice]), [
        ["t2.micro", T1, "0.003500"],
        ["t3.small", T1, "0.003500"],
      ]);
    });
  });

  describe("awsJson1_1 (KMS, Cost Explorer)", () => {
    it("round-trips blobs, maps and lists", async () => {
      const client = new KMSClient(sdkConfig(stratus));
      const input = { KeyId: "alias/ml", Plaintext: BYTES, EncryptionContext: { purpose: UNICODE, "": "empty-key" }, GrantTokens: ["t1", "t2"] };
      const output = await client.send(new EncryptCommand(input));
      assert.deepEqual({ ...received.get("kms.Encrypt"), Plaintext: Buffer.from(received.get("kms.Encrypt").Plaintext) }, input);
      assert.deepEqual(Buffer.from(output.CiphertextBlob!), Buffer.from(BYTES).reverse());
      assert.equal(output.KeyId, "alias/ml");
    });

    it("round-trips booleans, timestamps and unicode", async () => {
      const client = new KMSClient(sdkConfig(stratus));
      for (const multiRegion of [true, false]) {
        const { KeyMetadata } = await client.send(new CreateKeyCommand({ Description: UNICODE, MultiRegion: multiRegion, Tags: [{ TagKey: "k", TagValue: UNICODE }] }));
        assert.equal(received.get("kms.CreateKey").MultiRegion, multiRegion);
        assert.deepEqual(received.get("kms.CreateKey").Tags, [{ TagKey: "k", TagValue: UNICODE }]);
        assert.equal(KeyMetadata!.MultiRegion, multiRegion);
        assert.equal(KeyMetadata!.Description, UNICODE);
        assert.deepEqual(KeyMetadata!.CreationDate, T1);
        assert.deepEqual(KeyMetadata!.EncryptionAlgorithms, ["SYMMETRIC_DEFAULT"]);
      }
    });

    it("round-trips recursive structures and maps of structures", async () => {
      const client = new CostExplorerClient(sdkConfig(stratus));
      const input = {
        TimePeriod: { Start: "2025-01-01", End: "2025-02-01" },
        Granularity: "MONTHLY" as const,
        Metrics: ["UnblendedCost", "UsageQuantity"],
        Filter: {
          And: [
            { Dimensions: { Key: "SERVICE" as const, Values: ["Amazon Elastic Compute Cloud - Compute"] } },
            { Not: { Tags: { Key: "Project", Values: ["ml-infrastructure"], MatchOptions: ["EQUALS" as const] } } },
          ],
        },
        GroupBy: [{ Type: "DIMENSION" as const, Key: "SERVICE" }],
      };
      const output = await client.send(new GetCostAndUsageCommand(input));
      assert.deepEqual(received.get("ce.GetCostAndUsage"), input);
      const result = output.ResultsByTime![0];
      assert.deepEqual(result.TimePeriod, input.TimePeriod);
      assert.deepEqual(result.Total, { UnblendedCost: { Amount: "13.52", Unit: "USD" }, UsageQuantity: { Amount: "730", Unit: "Hrs" } });
      assert.deepEqual(result.Groups, [{ Keys: [UNICODE], Metrics: { UnblendedCost: { Amount: "8.47", Unit: "USD" } } }]);
      assert.equal(result.Estimated, true);
    });
  });

  describe("restJson1 (DLM, EBS)", () => {
    it("round-trips bodies, path labels, query lists and maps", async () => {
      const client = new DLMClient(sdkConfig(stratus));
      const input = {
        ExecutionRoleArn: "arn:aws:iam::000000000000:role/AWSDataLifecycleManagerDefaultRole",
        Description: "Daily snapshots of ML volumes",
        State: "ENABLED" as const,
        PolicyDetails: {
          PolicyType: "EBS_SNAPSHOT_MANAGEMENT" as const,
          ResourceTypes: ["VOLUME" as const],
          TargetTags: [{ Key: "Project", Value: "ml-infrastructure" }],
          Schedules: [{ Name: "Daily snapshots", CopyTags: true, CreateRule: { Interval: 24, IntervalUnit: "HOURS" as const, Times: ["03:00"] }, RetainRule: { Count: 7 } }],
        },
        Tags: { team: "ml", "cost-center": UNICODE },
      };
      const { PolicyId } = await client.send(new CreateLifecyclePolicyCommand(input));
      assert.deepEqual(received.get("dlm.CreateLifecyclePolicy"), input);
      const { Policy } = await client.send(new GetLifecyclePolicyCommand({ PolicyId }));
      assert.deepEqual(received.get("dlm.GetLifecyclePolicy"), { PolicyId });
      assert.equal(Policy!.Description, input.Description);
      assert.deepEqual(Policy!.DateCreated, T1);
      assert.deepEqual(Policy!.DateModified, T2);
      assert.deepEqual(Policy!.PolicyDetails, input.PolicyDetails);
      assert.deepEqual(Policy!.Tags, input.Tags);

      const listed = await client.send(
        new GetLifecyclePoliciesCommand({ PolicyIds: ["policy-1", "policy-2"], ResourceTypes: ["INSTANCE"], TargetTags: ["Project=ml infrastructure", "k=v&x"], State: "ENABLED", DefaultPolicyType: "VOLUME" }),
      );
      assert.deepEqual(received.get("dlm.GetLifecyclePolicies"), { PolicyIds: ["policy-1", "policy-2"], ResourceTypes: ["INSTANCE"], TargetTags: ["Project=ml infrastructure", "k=v&x"], State: "ENABLED", DefaultPolicyType: "VOLUME" });
      assert.deepEqual(listed.Policies!.map((p) => [p.PolicyId, p.Description, p.Tags, p.DefaultPolicy]), [
        ["policy-1", UNICODE, { from: "query" }, false],
        ["policy-2", UNICODE, { from: "query" }, false],
      ]);

      const arn = "arn:aws:dlm:us-east-1:000000000000:policy/policy-0123456789abcdef0";
      await client.send(new TagResourceCommand({ ResourceArn: arn, Tags: { a: "1", b: UNICODE } }));
      assert.deepEqual(received.get("dlm.TagResource"), { ResourceArn: arn, Tags: { a: "1", b: UNICODE } });
      await client.send(new UntagResourceCommand({ ResourceArn: arn, TagKeys: ["a", "b/c:d"] }));
      assert.deepEqual(received.get("dlm.UntagResource"), { ResourceArn: arn, TagKeys: ["a", "b/c:d"] });
    });

    it("round-trips streaming blobs, integer path labels and headers", async () => {
      const client = new EBSClient(sdkConfig(stratus));
      const block = Buffer.alloc(512 * 1024);
      for (let i = 0; i < block.length; i++) block[i] = (i * 31) & 0xff;
      const checksum = createHash("sha256").update(block).digest("base64");
      const put = await client.send(
        new PutSnapshotBlockCommand({ SnapshotId: "snap-0123456789abcdef0", BlockIndex: 7, BlockData: block, DataLength: block.length, Checksum: checksum, ChecksumAlgorithm: "SHA256", Progress: 42 }),
      );
      const parsed = received.get("ebs.PutSnapshotBlock");
      assert.deepEqual({ ...parsed, BlockData: undefined }, { SnapshotId: "snap-0123456789abcdef0", BlockIndex: 7, BlockData: undefined, DataLength: block.length, Checksum: checksum, ChecksumAlgorithm: "SHA256", Progress: 42 });
      assert.deepEqual(received.get("ebs.PutSnapshotBlock.data"), block);
      assert.equal(put.Checksum, checksum);
      assert.equal(put.ChecksumAlgorithm, "SHA256");

      const got = await client.send(new GetSnapshotBlockCommand({ SnapshotId: "snap-0123456789abcdef0", BlockIndex: 7, BlockToken: "token/with+special=chars" }));
      assert.deepEqual(received.get("ebs.GetSnapshotBlock"), { SnapshotId: "snap-0123456789abcdef0", BlockIndex: 7, BlockToken: "token/with+special=chars" });
      assert.equal(got.DataLength, block.length);
      assert.equal(got.Checksum, checksum);
      assert.deepEqual(Buffer.from(await got.BlockData!.transformToByteArray()), block);
    });
  });

  describe("restXml (S3)", () => {
    const client = () => new S3Client({ ...sdkConfig(stratus), forcePathStyle: true });

    it("round-trips keys, metadata headers, streaming bodies and header timestamps", async () => {
      const key = `models/v1.0/${UNICODE} with spaces/+plus%percent.pth`;
      const body = Buffer.concat([BYTES, Buffer.from(UNICODE)]);
      const put = await client().send(
        new PutObjectCommand({ Bucket: "echo-bucket", Key: key, Body: body, ContentType: "application/octet-stream", Metadata: { model_version: "1.0", framework: "pytorch", accuracy: "0.95" }, StorageClass: "STANDARD" }),
      );
      const parsed = received.get("s3.PutObject");
      assert.equal(parsed.Bucket, "echo-bucket");
      assert.equal(parsed.Key, key);
      assert.deepEqual(parsed.Metadata, { model_version: "1.0", framework: "pytorch", accuracy: "0.95" });
      assert.equal(parsed.StorageClass, "STANDARD");
      assert.deepEqual(received.get("s3.PutObject.data"), body);
      assert.equal(put.ETag, `"${createHash("md5").update(body).digest("hex")}"`);
      assert.equal(put.VersionId, "v-1");

      const got = await client().send(new GetObjectCommand({ Bucket: "echo-bucket", Key: key }));
      assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), body);
      assert.equal(got.ContentLength, body.length);
      assert.deepEqual(got.Metadata, { model_version: "1.0", framework: "pytorch", accuracy: "0.95" });
      assert.deepEqual(got.LastModified, T2);
      assert.equal(got.TagCount, 2);
    });

    it("round-trips XML bodies, query parameters, longs, booleans and flattened lists", async () => {
      const tags = [
        { Key: "Project", Value: "ml-infrastructure" },
        { Key: UNICODE, Value: "<&>" },
      ];
      await client().send(new PutBucketTaggingCommand({ Bucket: "echo-bucket", Tagging: { TagSet: tags } }));
      assert.deepEqual(received.get("s3.PutBucketTagging").Tagging, { TagSet: tags });
      const tagging = await client().send(new GetBucketTaggingCommand({ Bucket: "echo-bucket" }));
      assert.deepEqual(tagging.TagSet, tags);

      const listed = await client().send(new ListObjectsV2Command({ Bucket: "echo-bucket", Prefix: "models/", MaxKeys: 2, FetchOwner: true, StartAfter: "models/0 x" }));
      const parsed = received.get("s3.ListObjectsV2");
      assert.deepEqual([parsed.Prefix, parsed.MaxKeys, parsed.FetchOwner, parsed.StartAfter], ["models/", 2, true, "models/0 x"]);
      assert.equal(listed.KeyCount, 2);
      assert.equal(listed.IsTruncated, false);
      assert.deepEqual(
        listed.Contents!.map((c) => [c.Key, c.LastModified, c.Size, c.StorageClass, c.Owner?.ID]),
        [
          [`models/a ${UNICODE}`, T1, 5_000_000_000, "STANDARD_IA", "owner-id"],
          ["models/b", T2, 0, "GLACIER_IR", undefined],
        ],
      );
      assert.deepEqual(listed.CommonPrefixes, [{ Prefix: "models/dir/" }]);
    });
  });
});
