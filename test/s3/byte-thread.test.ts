/**
 * Large bodies go through the byte thread: hashed there on the way in, read
 * and decrypted there on the way out (src/services/s3/byte-thread). Whatever
 * the path, the bytes and the checks are S3's.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
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
import { byteThread, byteThreadOnline } from "../../src/services/s3/byte-thread/client.js";
import { READ_SLOTS } from "../../src/services/s3/byte-thread/protocol.js";
import { CREDENTIALS, startTestStratus } from "../support/stratus.js";
import { rawS3, signHeaders } from "./raw.js";
import { bodyBytes, bucketName, isError, pattern, s3Client } from "./support.js";

const MiB = 1024 * 1024;

const md5 = (data: Buffer) => createHash("md5").update(data).digest("hex");

/** Resolves once every read slot is free again (reads hand them back asynchronously). */
async function slotsSettle(): Promise<number> {
  for (let i = 0; i < 100 && byteThread().freeReadSlotCount < READ_SLOTS; i++) await new Promise((r) => setTimeout(r, 20));
  return byteThread().freeReadSlotCount;
}

/** The files under blobs/s3/data, and what is left in blobs/s3/tmp. */
function storedFiles(stratus: RunningStratus): { data: string[]; tmp: string[] } {
  const root = path.join(stratus.cloud.blobsDir, "s3");
  const data = readdirSync(path.join(root, "data")).flatMap((dir) => readdirSync(path.join(root, "data", dir)).map((name) => path.join(root, "data", dir, name)));
  return { data, tmp: readdirSync(path.join(root, "tmp")) };
}

describe("S3 large bodies on the byte thread", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  const bucket = bucketName("bytes");
  const single = pattern(5 * MiB + 3, 1);
  const parts = [pattern(5 * MiB, 2), pattern(5 * MiB, 3), pattern(1000, 4)];
  const multipart = Buffer.concat(parts);

  before(async () => {
    stratus = await startTestStratus();
    // Until the thread is online large bodies take the event loop's path: these tests are about the thread's.
    assert.equal(await byteThreadOnline(), true);
    s3 = s3Client(stratus);
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "single", Body: single }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "multi" }));
    const etags = [];
    for (let i = 0; i < parts.length; i++) {
      const { ETag } = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "multi", UploadId, PartNumber: i + 1, Body: parts[i] }));
      etags.push({ ETag, PartNumber: i + 1 });
    }
    await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "multi", UploadId, MultipartUpload: { Parts: etags } }));
  });
  after(() => stratus?.stop());

  const get = async (key: string, range?: string) => bodyBytes((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: range }))).Body);

  it("reads encrypted objects back whole, and in ranges across slots, parts and the small last part", async () => {
    const head = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "single" }));
    assert.equal(head.ServerSideEncryption, "AES256");
    assert.equal(head.ETag, `"${md5(single)}"`);
    assert.ok((await bodyBytes(head.Body)).equals(single));
    assert.ok((await get("single", `bytes=${MiB - 10}-${MiB + 10}`)).equals(single.subarray(MiB - 10, MiB + 11)));
    assert.ok((await get("single", "bytes=-7")).equals(single.subarray(single.length - 7)));
    assert.ok((await get("single", "bytes=3000001-")).equals(single.subarray(3000001)));
    assert.ok((await get("multi")).equals(multipart));
    const across = `bytes=${5 * MiB - 100}-${10 * MiB + 99}`;
    assert.ok((await get("multi", across)).equals(multipart.subarray(5 * MiB - 100, 10 * MiB + 100)));
    assert.equal(await slotsSettle(), READ_SLOTS);
  });

  it("stores ciphertext only: no stretch of the plaintext is on disk", () => {
    const files = storedFiles(stratus).data.filter((file) => readFileSync(file).length === single.length);
    assert.ok(files.length >= 1);
    for (const file of files) {
      const stored = readFileSync(file);
      for (const at of [0, MiB - 32, 3 * MiB + 17, single.length - 64]) assert.equal(stored.indexOf(single.subarray(at, at + 32)), -1, `plaintext at ${at} found in ${file}`);
    }
  });

  it("leaves nothing behind of an upload whose client leaves half-way", async () => {
    const url = new URL(stratus.endpoint);
    const size = 6 * MiB;
    const path = `/${bucket}/abandoned`;
    const headers = signHeaders("PUT", path, "", { host: url.host, "content-length": String(size) }, "UNSIGNED-PAYLOAD", { ...CREDENTIALS, region: "us-east-1" });
    await new Promise<void>((resolve) => {
      const request = http.request({ host: url.hostname, port: url.port, path, method: "PUT", headers });
      request.on("error", () => resolve());
      request.write(pattern(2 * MiB + 5, 7), () => setTimeout(() => request.destroy(), 50));
      request.on("close", () => resolve());
    });
    for (let i = 0; i < 100 && (storedFiles(stratus).tmp.length > 0 || byteThread().hashingCount > 0); i++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(storedFiles(stratus).tmp, []);
    assert.equal(byteThread().hashingCount, 0);
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "abandoned" })), isError("NoSuchKey", 404));
  });

  it("answers more concurrent GETs than the thread has slots for, each in full", async () => {
    const bodies = await Promise.all(Array.from({ length: 12 }, (_, i) => get(i % 2 ? "single" : "multi")));
    bodies.forEach((body, i) => assert.ok(body.equals(i % 2 ? single : multipart), `GET ${i}`));
    assert.equal(await slotsSettle(), READ_SLOTS);
  });

  it("takes back the slots of clients that leave half-way", async () => {
    const url = new URL(stratus.endpoint);
    for (let i = 0; i < 6; i++) {
      await new Promise<void>((resolve, reject) => {
        const path = `/${bucket}/single`;
        const headers = signHeaders("GET", path, "", { host: url.host }, "UNSIGNED-PAYLOAD", { ...CREDENTIALS, region: "us-east-1" });
        const request = http.get({ host: url.hostname, port: url.port, path, headers }, (response) => {
          assert.equal(response.statusCode, 200);
          response.once("data", () => {
            request.destroy();
            resolve();
          });
        });
        request.on("error", (error) => (request.destroyed ? resolve() : reject(error)));
      });
    }
    assert.equal(await slotsSettle(), READ_SLOTS);
    assert.ok((await get("single")).equals(single));
  });

  it("copies large objects through the stream path", async () => {
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "copy", CopySource: `${bucket}/multi` }));
    assert.ok((await get("copy")).equals(multipart));
    assert.equal(await slotsSettle(), READ_SLOTS);
  });

  it("checks Content-MD5, the signed payload hash and flexible checksums of large bodies", async () => {
    const body = pattern(3 * MiB + 5, 9);
    const badMd5 = await rawS3(stratus, "PUT", `/${bucket}/bad-md5`, { body, headers: { "content-md5": createHash("md5").update("x").digest("base64") } });
    assert.equal(badMd5.status, 400);
    assert.match(badMd5.body, /<Code>BadDigest<\/Code>/);
    const badSha = await rawS3(stratus, "PUT", `/${bucket}/bad-sha`, { body, payloadHash: createHash("sha256").update("x").digest("hex") });
    assert.equal(badSha.status, 400);
    assert.match(badSha.body, /<Code>XAmzContentSHA256Mismatch<\/Code>/);
    const good = await rawS3(stratus, "PUT", `/${bucket}/good`, { body, headers: { "content-md5": createHash("md5").update(body).digest("base64") } });
    assert.equal(good.status, 200);
    assert.equal(good.headers.etag, `"${md5(body)}"`);
    const sha256 = createHash("sha256").update(body).digest("base64");
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "summed", Body: body, ChecksumAlgorithm: "SHA256" }));
    assert.equal(put.ChecksumSHA256, sha256);
    await assert.rejects(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: "wrong-sum", Body: body, ChecksumSHA256: createHash("sha256").update("x").digest("base64") })),
      isError("BadDigest", 400),
    );
    const wrote = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "summed", ChecksumMode: "ENABLED" }));
    assert.equal(wrote.ChecksumSHA256, sha256);
    assert.ok((await bodyBytes(wrote.Body)).equals(body));
  });

  it("takes over request chunks, plain and aws-chunked, without disturbing the bytes", async () => {
    // A stream body makes the SDK send aws-chunked with a trailing checksum; its decoder's chunks are views.
    const body = pattern(4 * MiB + 123, 21);
    const pieces = Array.from({ length: Math.ceil(body.length / 100_000) }, (_, i) => Buffer.from(body.subarray(i * 100_000, (i + 1) * 100_000)));
    const streamed = await s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: "streamed", Body: Readable.from(pieces), ContentLength: body.length, ChecksumAlgorithm: "CRC32" }),
    );
    assert.equal(streamed.ETag, `"${md5(body)}"`);
    // And many plain bodies at once, each with its own bytes.
    const bodies = Array.from({ length: 6 }, (_, i) => pattern(2 * MiB + i * 1000, 30 + i));
    const etags = await Promise.all(bodies.map((data, i) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: `many${i}`, Body: data }))));
    etags.forEach((out, i) => assert.equal(out.ETag, `"${md5(bodies[i])}"`));
    assert.ok((await get("streamed")).equals(body));
    for (let i = 0; i < bodies.length; i++) assert.ok((await get(`many${i}`)).equals(bodies[i]), `many${i}`);
    assert.equal(byteThread().hashingCount, 0);
  });
});
