/** S3 Inventory: configurations with S3's checks, and CSV reports delivered at midnight on the Stratus clock. */
import assert from "node:assert/strict";
import { gunzipSync } from "node:zlib";
import { after, before, describe, it } from "node:test";
import {
  CreateBucketCommand,
  DeleteBucketInventoryConfigurationCommand,
  GetBucketInventoryConfigurationCommand,
  GetObjectCommand,
  ListBucketInventoryConfigurationsCommand,
  ListObjectsV2Command,
  PutBucketInventoryConfigurationCommand,
  PutBucketPolicyCommand,
  PutBucketVersioningCommand,
  PutObjectCommand,
  type InventoryConfiguration,
  type S3Client,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, startTestStratus } from "../support/stratus.js";
import { bucketName, isError, s3Client } from "./support.js";

describe("S3 Inventory", () => {
  let stratus: RunningStratus;
  let s3: S3Client;

  before(async () => {
    stratus = await startTestStratus({ clock: "virtual" });
    s3 = s3Client(stratus);
  });
  after(() => stratus.stop());

  const inventory = (Id: string, destination: string, extra: Partial<InventoryConfiguration> = {}): InventoryConfiguration => ({
    Id,
    IsEnabled: true,
    IncludedObjectVersions: "Current",
    Schedule: { Frequency: "Daily" },
    Destination: { S3BucketDestination: { Bucket: `arn:aws:s3:::${destination}`, Format: "CSV", Prefix: "inv" } },
    ...extra,
  });

  async function allowInventory(target: string, source: string) {
    await s3.send(
      new PutBucketPolicyCommand({
        Bucket: target,
        Policy: JSON.stringify({
          Version: "2012-10-17",
          Statement: [
            {
              Effect: "Allow",
              Principal: { Service: "s3.amazonaws.com" },
              Action: "s3:PutObject",
              Resource: `arn:aws:s3:::${target}/*`,
              Condition: { ArnLike: { "aws:SourceArn": `arn:aws:s3:::${source}` }, StringEquals: { "s3:x-amz-acl": "bucket-owner-full-control" } },
            },
          ],
        }),
      }),
    );
  }

  async function text(bucket: string, key: string): Promise<Buffer> {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return Buffer.from(await got.Body!.transformToByteArray());
  }

  it("stores, lists, reads and deletes configurations; refuses bad ones", async () => {
    const bucket = bucketName("icfg");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await assert.rejects(s3.send(new GetBucketInventoryConfigurationCommand({ Bucket: bucket, Id: "x" })), isError("NoSuchConfiguration", 404));
    await assert.rejects(
      s3.send(new PutBucketInventoryConfigurationCommand({ Bucket: bucket, Id: "x", InventoryConfiguration: inventory("y", "dest") })),
      isError("InvalidArgument", 400),
    );
    const badArn = inventory("x", "dest");
    badArn.Destination!.S3BucketDestination!.Bucket = "dest";
    await assert.rejects(s3.send(new PutBucketInventoryConfigurationCommand({ Bucket: bucket, Id: "x", InventoryConfiguration: badArn })), isError("InvalidArgument", 400));
    const cli = await awsCli(stratus, [
      "s3api", "put-bucket-inventory-configuration", "--bucket", bucket, "--id", "weekly",
      "--inventory-configuration", JSON.stringify(inventory("weekly", "dest", { Schedule: { Frequency: "Weekly" }, OptionalFields: ["Size", "ETag"] })),
    ]);
    assert.equal(cli.code, 0, cli.stderr);
    const listed = await s3.send(new ListBucketInventoryConfigurationsCommand({ Bucket: bucket }));
    assert.deepEqual(listed.InventoryConfigurationList?.map((c) => c.Id), ["weekly"]);
    assert.deepEqual((await s3.send(new GetBucketInventoryConfigurationCommand({ Bucket: bucket, Id: "weekly" }))).InventoryConfiguration?.OptionalFields, ["Size", "ETag"]);
    await s3.send(new DeleteBucketInventoryConfigurationCommand({ Bucket: bucket, Id: "weekly" }));
    await assert.rejects(s3.send(new GetBucketInventoryConfigurationCommand({ Bucket: bucket, Id: "weekly" })), isError("NoSuchConfiguration", 404));
  });

  it("writes a CSV report, manifest and checksum at midnight, where the destination policy allows it", async () => {
    const source = bucketName("isrc");
    const dest = bucketName("idst");
    await s3.send(new CreateBucketCommand({ Bucket: source }));
    await s3.send(new CreateBucketCommand({ Bucket: dest }));
    await s3.send(new PutBucketVersioningCommand({ Bucket: source, VersioningConfiguration: { Status: "Enabled" } }));
    await s3.send(new PutObjectCommand({ Bucket: source, Key: "data/a b.csv", Body: "12345" }));
    await s3.send(new PutObjectCommand({ Bucket: source, Key: "data/a b.csv", Body: "1234567" }));
    await s3.send(new PutObjectCommand({ Bucket: source, Key: "other/c", Body: "x" }));
    await s3.send(
      new PutBucketInventoryConfigurationCommand({
        Bucket: source,
        Id: "current",
        InventoryConfiguration: inventory("current", dest, { Filter: { Prefix: "data/" }, OptionalFields: ["Size", "StorageClass", "ETag"] }),
      }),
    );
    await s3.send(new PutBucketInventoryConfigurationCommand({ Bucket: source, Id: "all", InventoryConfiguration: inventory("all", dest, { IncludedObjectVersions: "All" }) }));
    await stratus.clock.advance("1d");
    assert.equal((await s3.send(new ListObjectsV2Command({ Bucket: dest }))).KeyCount, 0, "no permission, no report");
    await allowInventory(dest, source);
    await stratus.clock.advance("1d");
    const keys = ((await s3.send(new ListObjectsV2Command({ Bucket: dest, Prefix: `inv/${source}/current/` }))).Contents ?? []).map((c) => c.Key!);
    const manifestKey = keys.find((k) => k.endsWith("/manifest.json"))!;
    assert.match(manifestKey, new RegExp(`^inv/${source}/current/\\d{4}-\\d{2}-\\d{2}T00-00Z/manifest\\.json$`));
    assert.ok(keys.some((k) => k.endsWith("/manifest.checksum")));
    assert.ok(keys.some((k) => /\/hive\/dt=\d{4}-\d{2}-\d{2}-00-00\/symlink\.txt$/.test(k)));
    const manifest = JSON.parse((await text(dest, manifestKey)).toString());
    assert.equal(manifest.sourceBucket, source);
    assert.equal(manifest.fileFormat, "CSV");
    assert.equal(manifest.fileSchema, "Bucket, Key, Size, ETag, StorageClass");
    const data = await text(dest, manifest.files[0].key);
    assert.equal(data.length, manifest.files[0].size);
    assert.deepEqual(gunzipSync(data).toString().trim().split("\n"), [`"${source}","data/a%20b.csv","7","fcea920f7412b5da7be0cf42b8c93759","STANDARD"`]);
    const allManifest = ((await s3.send(new ListObjectsV2Command({ Bucket: dest, Prefix: `inv/${source}/all/` }))).Contents ?? []).find((c) => c.Key!.endsWith("manifest.json"))!;
    const allFiles = JSON.parse((await text(dest, allManifest.Key!)).toString());
    assert.equal(allFiles.fileSchema, "Bucket, Key, VersionId, IsLatest, IsDeleteMarker");
    const rows = gunzipSync(await text(dest, allFiles.files[0].key)).toString().trim().split("\n");
    assert.equal(rows.length, 3, "both versions of data/a b.csv and other/c");
    assert.match(rows[0], /^"[^"]+","data\/a%20b\.csv","[A-Za-z0-9._-]{32}","true","false"$/);
    assert.match(rows[1], /","false","false"$/);
  });
});
