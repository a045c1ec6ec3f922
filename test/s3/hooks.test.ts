/**
 * The contract the core keeps with extensions: a toy codec (a position-keyed
 * XOR, seekable and length-preserving like AES-CTR) sees every byte written
 * and read, by segment and offset; the authorizer sees every request with its
 * IAM action; response extras reach object responses.
 */
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client, CopyObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { RunningStratus } from "../../src/index.js";
import { accessDenied, type AccessRequest, type ObjectCodec } from "../../src/services/s3/hooks.js";
import type { S3Provider } from "../../src/services/s3/provider.js";
import { startTestStratus } from "../support/stratus.js";
import { bodyBytes, bucketName, isError, s3Client } from "./support.js";

const keystream = (segment: number, position: number) => (segment * 131 + position * 7 + 0x5a) & 0xff;

/** XOR with the keystream from byte `start` of the segment on: each call takes the bytes after the previous call's. */
function xorFrom(segment: number, start: number): (data: Buffer) => Buffer {
  let position = start;
  return (data) => {
    const out = Buffer.allocUnsafe(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i] ^ keystream(segment, position + i);
    position += data.length;
    return out;
  };
}

const toyCodec: ObjectCodec = {
  encryptor: (segment) => xorFrom(segment, 0),
  decryptor: (segment, offset) => xorFrom(segment, offset),
};

function pattern(size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = (i * 13 + (i >> 8)) & 0xff;
  return out;
}

describe("S3 extension hooks", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let bucket: string;
  const opened: string[] = [];
  const actions: string[] = [];
  before(async () => {
    stratus = await startTestStratus();
    const provider = stratus.cloud.provider<S3Provider>("s3");
    provider.hooks.encryption = {
      seal: () => ({ record: { ServerSideEncryption: "AES256", toy: true }, codec: toyCodec }),
      open: ({ record, purpose }) => {
        assert.equal(record.toy, true);
        opened.push(purpose);
        return toyCodec;
      },
    };
    const defaultAuthorizer = provider.hooks.authorizer;
    provider.hooks.authorizer = {
      authorize: (request: AccessRequest) => {
        actions.push(`${request.action} ${request.key ?? ""}`.trim());
        if (request.key === "forbidden") throw accessDenied();
        return defaultAuthorizer.authorize(request);
      },
    };
    provider.hooks.responses.push({ objectHeaders: ({ version }) => ({ "x-amz-expiration": `expiry-date="Fri, 01 Jan 2100 00:00:00 GMT", rule-id="${version.key}"` }) });
    s3 = s3Client(stratus);
    bucket = bucketName("hooks");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(() => stratus.stop());

  it("encrypts every stored byte and decrypts whole objects and ranges", async () => {
    const data = pattern(300_000);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "big", Body: data }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "small", Body: data.subarray(0, 1000) }));
    const root = path.join(stratus.cloud.blobsDir, "s3", "data");
    const files = readdirSync(root).flatMap((d) => readdirSync(path.join(root, d)).map((f) => path.join(root, d, f)));
    assert.equal(files.length, 1);
    const stored = readFileSync(files[0]);
    assert.equal(stored.length, data.length, "the codec preserves length");
    assert.ok(!stored.equals(data));
    assert.equal(stored[100], data[100] ^ keystream(0, 100));
    const whole = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big" }));
    assert.equal(whole.ServerSideEncryption, "AES256");
    assert.ok((await bodyBytes(whole.Body)).equals(data));
    const range = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "big", Range: "bytes=123457-200000" }));
    assert.ok((await bodyBytes(range.Body)).equals(data.subarray(123457, 200001)));
    const small = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "small", Range: "bytes=10-19" }));
    assert.ok((await bodyBytes(small.Body)).equals(data.subarray(10, 20)));
    assert.equal((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "big" }))).ServerSideEncryption, "AES256");
    assert.ok(opened.includes("read") && opened.includes("head"));
  });

  it("encrypts multipart parts as segments and reads across part boundaries; copies re-encrypt", async () => {
    const data = pattern(5 * 1024 * 1024 + 4321);
    await new Upload({ client: s3, params: { Bucket: bucket, Key: "mpu", Body: data }, partSize: 5 * 1024 * 1024 }).done();
    assert.ok(opened.includes("write"), "UploadPart opened the upload's codec");
    const boundary = 5 * 1024 * 1024;
    const across = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mpu", Range: `bytes=${boundary - 100}-${boundary + 99}` }));
    assert.ok((await bodyBytes(across.Body)).equals(data.subarray(boundary - 100, boundary + 100)));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "mpu-copy", CopySource: `${bucket}/mpu` }));
    const copy = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "mpu-copy" }));
    assert.ok((await bodyBytes(copy.Body)).equals(data));
  });

  it("asks the authorizer about every request, with its IAM action", async () => {
    actions.length = 0;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a", Body: "x" }));
    await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "a" }));
    await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "forbidden", Body: "x" })), isError("AccessDenied", 403));
    assert.deepEqual(actions, ["s3:PutObject a", "s3:GetObject a", "s3:ListBucket", "s3:PutObject forbidden"]);
  });

  it("adds extensions' headers to object responses", async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "expiring", Body: "x" }));
    assert.equal(put.Expiration, 'expiry-date="Fri, 01 Jan 2100 00:00:00 GMT", rule-id="expiring"');
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "expiring" }));
    assert.match(head.Expiration!, /rule-id="expiring"/);
  });
});
