/**
 * When the byte thread cannot start (its module missing from an install, or
 * failing to load), large bodies are hashed, encrypted and read on the event
 * loop: every request still gets S3's answer, and the thread is not tried again.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { byteThreadOnline, onlineByteThread, useByteThreadModule } from "../../src/services/s3/byte-thread/client.js";
import { startTestStratus } from "../support/stratus.js";
import { bodyBytes, bucketName, isError, pattern, s3Client } from "./support.js";

const MiB = 1024 * 1024;

const md5 = (data: Buffer) => createHash("md5").update(data);

describe("S3 large bodies without the byte thread", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  const bucket = bucketName("nothread");
  const single = pattern(5 * MiB + 3, 11);
  const parts = [pattern(5 * MiB, 12), pattern(700_000, 13)];

  before(async () => {
    useByteThreadModule(path.join(os.tmpdir(), `stratus-no-such-thread-${process.pid}.js`));
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(() => stratus?.stop());

  it("never comes online, and is not tried again", async () => {
    assert.equal(await byteThreadOnline(), false);
    assert.equal(onlineByteThread(), undefined);
    assert.equal(await byteThreadOnline(), false);
  });

  it("stores and reads large objects whole and in ranges, with their checks", async () => {
    const put = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "single", Body: single, ContentMD5: md5(single).digest("base64"), ChecksumAlgorithm: "SHA256" }),
    );
    assert.equal(put.ETag, `"${md5(single).digest("hex")}"`);
    assert.equal(put.ChecksumSHA256, createHash("sha256").update(single).digest("base64"));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "single" }));
    assert.equal(got.ServerSideEncryption, "AES256");
    assert.ok((await bodyBytes(got.Body)).equals(single));
    const range = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "single", Range: `bytes=${MiB - 5}-${3 * MiB}` }));
    assert.ok((await bodyBytes(range.Body)).equals(single.subarray(MiB - 5, 3 * MiB + 1)));
    await assert.rejects(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: "bad", Body: single, ContentMD5: md5(parts[0]).digest("base64") })),
      isError("BadDigest", 400),
    );
  });

  it("assembles multipart uploads and copies them", async () => {
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "multi" }));
    const done = [];
    for (let i = 0; i < parts.length; i++) {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "multi", UploadId, PartNumber: i + 1, Body: parts[i] }));
      done.push({ ETag, PartNumber: i + 1 });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "multi", UploadId, MultipartUpload: { Parts: done } }));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "copy", CopySource: `${bucket}/multi` }));
    const whole = Buffer.concat(parts);
    for (const key of ["multi", "copy"]) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      assert.ok((await bodyBytes(got.Body)).equals(whole), key);
    }
  });
});
