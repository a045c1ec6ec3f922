/**
 * User-defined metadata is limited to 2 KB: the UTF-8 bytes of every key and
 * value together. More answers 400 MetadataTooLarge on PUT, multipart
 * creation and a copy that replaces the metadata.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CopyObjectCommand, CreateBucketCommand, CreateMultipartUploadCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { awsCli, startTestStratus } from "../support/stratus.js";
import { s3Client } from "./support.js";

describe("S3 user metadata limit", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  const bucket = "metadata-limit";
  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(() => stratus.stop());

  // The key "k" and a value of bytes − 1 ASCII characters: exactly `bytes` bytes.
  const metadataOf = (bytes: number) => ({ k: "a".repeat(bytes - 1) });

  it("accepts exactly 2 KB and refuses one byte more", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "at-limit", Body: "x", Metadata: metadataOf(2048) }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "at-limit" }));
    assert.equal(head.Metadata!.k.length, 2047);
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "over", Body: "x", Metadata: metadataOf(2049) })), (error: any) => {
      assert.equal(error.name, "MetadataTooLarge");
      assert.equal(error.$metadata.httpStatusCode, 400);
      return true;
    });
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "over" })), { name: "NotFound" });
  });

  it("counts UTF-8 bytes, and applies to multipart uploads and replacing copies", async () => {
    // 1 + 2 × 1024 = 2049 bytes in 1025 characters.
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "utf8", Body: "x", Metadata: { k: "é".repeat(1024) } })), { name: "MetadataTooLarge" });
    await assert.rejects(s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "mpu", Metadata: metadataOf(4096) })), { name: "MetadataTooLarge" });
    await assert.rejects(
      s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "copy", CopySource: `${bucket}/at-limit`, MetadataDirective: "REPLACE", Metadata: metadataOf(2049) })),
      { name: "MetadataTooLarge" },
    );
    // A copy that keeps the source's metadata is fine.
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "copy", CopySource: `${bucket}/at-limit` }));
  });

  it("answers the aws CLI with the error", async () => {
    const result = await awsCli(stratus, ["s3api", "put-object", "--bucket", bucket, "--key", "cli", "--metadata", `k=${"a".repeat(2100)}`]);
    assert.notEqual(result.code, 0);
    assert.match(result.stderr, /MetadataTooLarge/);
  });
});
