import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  S3Client,
  CreateBucketCommand,
  PutObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutBucketEncryptionCommand,
  GetBucketEncryptionCommand,
  DeleteBucketEncryptionCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  CompleteMultipartUploadCommand,
} from "@aws-sdk/client-s3";
import { KMSClient, CreateKeyCommand, CreateAliasCommand, DescribeKeyCommand, DisableKeyCommand, EnableKeyCommand } from "@aws-sdk/client-kms";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig, startTestStratus } from "../support/stratus.js";

function s3Client(stratus: RunningStratus, region = "us-east-1") {
  return new S3Client({ ...sdkConfig(stratus, region), forcePathStyle: true });
}
async function text(body: any): Promise<string> {
  return Buffer.from(await body.transformToByteArray()).toString();
}
function rejectsWith(code: string, status: number) {
  return (error: any) => {
    assert.equal(error.name, code, `${error.name}: ${error.message}`);
    assert.equal(error.$metadata?.httpStatusCode, status);
    return true;
  };
}
function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const full = path.join(dir, name);
    if (statSync(full).isDirectory()) out.push(...walk(full));
    else out.push(full);
  }
  return out;
}

describe("S3 server-side encryption", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let kms: KMSClient;
  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
    kms = new KMSClient(sdkConfig(stratus));
    await s3.send(new CreateBucketCommand({ Bucket: "enc" }));
  });
  after(() => stratus.stop());

  it("encrypts with SSE-S3 by default, like every bucket since 2023", async () => {
    const config = await s3.send(new GetBucketEncryptionCommand({ Bucket: "enc" }));
    assert.equal(config.ServerSideEncryptionConfiguration!.Rules![0].ApplyServerSideEncryptionByDefault!.SSEAlgorithm, "AES256");
    const put = await s3.send(new PutObjectCommand({ Bucket: "enc", Key: "a.txt", Body: "hello" }));
    assert.equal(put.ServerSideEncryption, "AES256");
    const head = await s3.send(new HeadObjectCommand({ Bucket: "enc", Key: "a.txt" }));
    assert.equal(head.ServerSideEncryption, "AES256");
    const get = await s3.send(new GetObjectCommand({ Bucket: "enc", Key: "a.txt" }));
    assert.equal(await text(get.Body), "hello");
  });

  it("validates PutBucketEncryption and resets to SSE-S3 on delete", async () => {
    await assert.rejects(
      s3.send(new PutBucketEncryptionCommand({ Bucket: "enc", ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "AES256", KMSMasterKeyID: "alias/x" } }] } })),
      rejectsWith("InvalidArgument", 400),
    );
    await s3.send(new PutBucketEncryptionCommand({ Bucket: "enc", ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: "aws:kms" }, BucketKeyEnabled: true }] } }));
    const got = await s3.send(new GetBucketEncryptionCommand({ Bucket: "enc" }));
    assert.equal(got.ServerSideEncryptionConfiguration!.Rules![0].ApplyServerSideEncryptionByDefault!.SSEAlgorithm, "aws:kms");
    assert.equal(got.ServerSideEncryptionConfiguration!.Rules![0].BucketKeyEnabled, true);
    const put = await s3.send(new PutObjectCommand({ Bucket: "enc", Key: "kms-default.txt", Body: "k" }));
    assert.equal(put.ServerSideEncryption, "aws:kms");
    assert.equal(put.BucketKeyEnabled, true);
    const managed = await kms.send(new DescribeKeyCommand({ KeyId: "alias/aws/s3" }));
    assert.equal(put.SSEKMSKeyId, managed.KeyMetadata!.Arn);
    await s3.send(new DeleteBucketEncryptionCommand({ Bucket: "enc" }));
    const reset = await s3.send(new GetBucketEncryptionCommand({ Bucket: "enc" }));
    assert.equal(reset.ServerSideEncryptionConfiguration!.Rules![0].ApplyServerSideEncryptionByDefault!.SSEAlgorithm, "AES256");
  });

  it("encrypts with SSE-KMS under a named key and round-trips its id; a disabled key stops reads", async () => {
    const key = (await kms.send(new CreateKeyCommand({ Description: "s3 objects" }))).KeyMetadata!;
    await kms.send(new CreateAliasCommand({ AliasName: "alias/models", TargetKeyId: key.KeyId }));
    const put = await s3.send(new PutObjectCommand({ Bucket: "enc", Key: "kms.txt", Body: "secret model", ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/models" }));
    assert.equal(put.ServerSideEncryption, "aws:kms");
    assert.equal(put.SSEKMSKeyId, key.Arn);
    const head = await s3.send(new HeadObjectCommand({ Bucket: "enc", Key: "kms.txt" }));
    assert.equal(head.SSEKMSKeyId, key.Arn);
    const context = Buffer.from(JSON.stringify({ project: "ml" })).toString("base64");
    const withContext = await s3.send(new PutObjectCommand({ Bucket: "enc", Key: "ctx.txt", Body: "c", ServerSideEncryption: "aws:kms", SSEKMSKeyId: key.KeyId, SSEKMSEncryptionContext: context }));
    assert.equal(withContext.SSEKMSEncryptionContext, context);
    assert.equal(await text((await s3.send(new GetObjectCommand({ Bucket: "enc", Key: "ctx.txt" }))).Body), "c");
    assert.equal(await text((await s3.send(new GetObjectCommand({ Bucket: "enc", Key: "kms.txt" }))).Body), "secret model");
    await kms.send(new DisableKeyCommand({ KeyId: key.KeyId }));
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: "enc", Key: "kms.txt" })), rejectsWith("KMS.DisabledException", 400));
    await kms.send(new EnableKeyCommand({ KeyId: key.KeyId }));
    assert.equal(await text((await s3.send(new GetObjectCommand({ Bucket: "enc", Key: "kms.txt" }))).Body), "secret model");
    await assert.rejects(
      s3.send(new PutObjectCommand({ Bucket: "enc", Key: "bad.txt", Body: "x", ServerSideEncryption: "aws:kms", SSEKMSKeyId: "alias/nope" })),
      rejectsWith("KMS.NotFoundException", 400),
    );
  });

  it("supports SSE-C: the key is checked, and reads without it answer 400", async () => {
    const customerKey = randomBytes(32);
    const md5 = createHash("md5").update(customerKey).digest("base64");
    const sse = { SSECustomerAlgorithm: "AES256", SSECustomerKey: customerKey.toString("base64"), SSECustomerKeyMD5: md5 };
    const put = await s3.send(new PutObjectCommand({ Bucket: "enc", Key: "c.txt", Body: "customer secret", ...sse }));
    assert.equal(put.SSECustomerAlgorithm, "AES256");
    assert.equal(put.SSECustomerKeyMD5, md5);
    assert.equal(put.ServerSideEncryption, undefined);
    const got = await s3.send(new GetObjectCommand({ Bucket: "enc", Key: "c.txt", ...sse }));
    assert.equal(await text(got.Body), "customer secret");
    assert.equal(got.SSECustomerKeyMD5, md5);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: "enc", Key: "c.txt" })), rejectsWith("InvalidRequest", 400));
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: "enc", Key: "c.txt" })), (e: any) => e.$metadata.httpStatusCode === 400);
    const other = randomBytes(32);
    await assert.rejects(
      s3.send(new GetObjectCommand({ Bucket: "enc", Key: "c.txt", SSECustomerAlgorithm: "AES256", SSECustomerKey: other.toString("base64"), SSECustomerKeyMD5: createHash("md5").update(other).digest("base64") })),
      (e: any) => e.$metadata.httpStatusCode === 403,
    );
  });

  it("rejects bad SSE-C headers with S3's errors", async () => {
    // The SDK computes the key MD5 itself, so a middleware sends what a broken client would.
    const raw = s3Client(stratus);
    let forced: Record<string, string> = {};
    raw.middlewareStack.add((next) => async (args: any) => {
      Object.assign(args.request.headers, forced);
      return next(args);
    }, { step: "build", priority: "low" });
    const key = randomBytes(32);
    forced = { "x-amz-server-side-encryption-customer-key-md5": createHash("md5").update("other").digest("base64") };
    await assert.rejects(raw.send(new PutObjectCommand({ Bucket: "enc", Key: "x", Body: "x", SSECustomerAlgorithm: "AES256", SSECustomerKey: key.toString("base64") })), rejectsWith("InvalidArgument", 400));
    const short = randomBytes(16);
    forced = {};
    await assert.rejects(raw.send(new PutObjectCommand({ Bucket: "enc", Key: "x", Body: "x", SSECustomerAlgorithm: "AES256", SSECustomerKey: short.toString("base64") })), rejectsWith("InvalidArgument", 400));
    forced = { "x-amz-server-side-encryption-customer-algorithm": "AES128" };
    await assert.rejects(raw.send(new PutObjectCommand({ Bucket: "enc", Key: "x", Body: "x", SSECustomerAlgorithm: "AES256", SSECustomerKey: key.toString("base64") })), rejectsWith("InvalidEncryptionAlgorithmError", 400));
  });

  it("keeps ranged GETs working on encrypted multipart objects", async () => {
    const part1 = randomBytes(5 * 1024 * 1024 + 17);
    const part2 = randomBytes(123_457);
    const whole = Buffer.concat([part1, part2]);
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: "enc", Key: "big.bin", ServerSideEncryption: "aws:kms" }));
    const e1 = await s3.send(new UploadPartCommand({ Bucket: "enc", Key: "big.bin", UploadId, PartNumber: 1, Body: part1 }));
    const e2 = await s3.send(new UploadPartCommand({ Bucket: "enc", Key: "big.bin", UploadId, PartNumber: 2, Body: part2 }));
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: "enc", Key: "big.bin", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: e1.ETag }, { PartNumber: 2, ETag: e2.ETag }] } }));
    for (const [start, end] of [[0, 15], [3, 4_000], [part1.length - 10, part1.length + 100], [whole.length - 33, whole.length - 1]]) {
      const got = await s3.send(new GetObjectCommand({ Bucket: "enc", Key: "big.bin", Range: `bytes=${start}-${end}` }));
      assert.deepEqual(Buffer.from(await got.Body!.transformToByteArray()), whole.subarray(start, end + 1), `${start}-${end}`);
    }
    const full = await s3.send(new GetObjectCommand({ Bucket: "enc", Key: "big.bin" }));
    assert.equal(createHash("sha256").update(Buffer.from(await full.Body!.transformToByteArray())).digest("hex"), createHash("sha256").update(whole).digest("hex"));
  });

  it("re-encrypts copies under the destination's encryption", async () => {
    await s3.send(new PutObjectCommand({ Bucket: "enc", Key: "src.txt", Body: "copy me" }));
    const copy = await s3.send(new CopyObjectCommand({ Bucket: "enc", Key: "dst.txt", CopySource: "enc/src.txt", ServerSideEncryption: "aws:kms" }));
    assert.equal(copy.ServerSideEncryption, "aws:kms");
    assert.equal(await text((await s3.send(new GetObjectCommand({ Bucket: "enc", Key: "dst.txt" }))).Body), "copy me");
  });
});

describe("S3 encryption at rest on disk", () => {
  it("leaves no plaintext in the data dir, for SSE-S3, SSE-KMS and SSE-C, small and large objects", async () => {
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "s3x-disk-"));
    const marker = "STRATUS-PLAINTEXT-MARKER-" + randomBytes(8).toString("hex");
    try {
      let stratus = await startTestStratus({ storage: "disk", dataDir });
      let s3 = s3Client(stratus);
      await s3.send(new CreateBucketCommand({ Bucket: "disk" }));
      const small = marker;
      const large = Buffer.from((marker + "\n").repeat(20_000));
      const customerKey = randomBytes(32);
      const sse = { SSECustomerAlgorithm: "AES256", SSECustomerKey: customerKey.toString("base64"), SSECustomerKeyMD5: createHash("md5").update(customerKey).digest("base64") };
      await s3.send(new PutObjectCommand({ Bucket: "disk", Key: "small", Body: small }));
      await s3.send(new PutObjectCommand({ Bucket: "disk", Key: "large", Body: large }));
      await s3.send(new PutObjectCommand({ Bucket: "disk", Key: "kms", Body: large, ServerSideEncryption: "aws:kms" }));
      await s3.send(new PutObjectCommand({ Bucket: "disk", Key: "ssec", Body: large, ...sse }));
      await stratus.stop();
      const needle = Buffer.from(marker);
      const files = walk(dataDir);
      assert.ok(files.length > 0);
      for (const file of files) assert.equal(readFileSync(file).includes(needle), false, `plaintext found in ${file}`);
      stratus = await startTestStratus({ storage: "disk", dataDir });
      s3 = s3Client(stratus);
      assert.equal(await text((await s3.send(new GetObjectCommand({ Bucket: "disk", Key: "small" }))).Body), small);
      const ranged = await s3.send(new GetObjectCommand({ Bucket: "disk", Key: "kms", Range: "bytes=100-199" }));
      assert.deepEqual(Buffer.from(await ranged.Body!.transformToByteArray()), large.subarray(100, 200));
      const c = await s3.send(new GetObjectCommand({ Bucket: "disk", Key: "ssec", Range: "bytes=5-9", ...sse }));
      assert.deepEqual(Buffer.from(await c.Body!.transformToByteArray()), large.subarray(5, 10));
      await stratus.stop();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
