import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListPartsCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { RunningStratus } from "../../src/index.js";
import { crc64nvme } from "../../src/services/s3/checksums.js";
import { startTestStratus } from "../support/stratus.js";
import { bodyBytes, bucketName, isError, s3Client } from "./support.js";

const MiB = 1024 * 1024;
const md5 = (data: Buffer) => createHash("md5").update(data).digest();

function pattern(size: number, seed: number): Buffer {
  const out = Buffer.alloc(size + 4);
  let x = seed;
  for (let i = 0; i < size; i += 4) {
    x = (x * 1103515245 + 12345) >>> 0;
    out.writeUInt32LE(x, i);
  }
  return out.subarray(0, size);
}

function blobFiles(stratus: RunningStratus): string[] {
  const root = path.join(stratus.cloud.blobsDir, "s3", "data");
  return readdirSync(root).flatMap((dir) => readdirSync(path.join(root, dir)));
}

describe("S3 multipart uploads", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let bucket: string;
  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
    bucket = bucketName("mpu");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(() => stratus.stop());

  it("uploads a stream with lib-storage and reads back every byte, by part and by range", async () => {
    const data = pattern(17 * MiB + 123, 1);
    const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: "dataset/train.bin", Body: Readable.from([data.subarray(0, 7 * MiB), data.subarray(7 * MiB)]) }, partSize: 5 * MiB, queueSize: 3 });
    const done = await upload.done();
    const parts = [0, 1, 2, 3].map((i) => data.subarray(i * 5 * MiB, Math.min((i + 1) * 5 * MiB, data.length)));
    const expected = createHash("md5").update(Buffer.concat(parts.map(md5))).digest("hex") + "-4";
    assert.equal(done.ETag, `"${expected}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dataset/train.bin" }));
    assert.equal(got.ContentLength, data.length);
    assert.ok((await bodyBytes(got.Body)).equals(data));
    const part2 = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dataset/train.bin", PartNumber: 2 }));
    assert.equal(part2.PartsCount, 4);
    assert.equal(part2.ContentRange, `bytes ${5 * MiB}-${10 * MiB - 1}/${data.length}`);
    assert.ok((await bodyBytes(part2.Body)).equals(parts[1]));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "dataset/train.bin", PartNumber: 4 }));
    assert.equal(head.ContentLength, parts[3].length);
    const across = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "dataset/train.bin", Range: `bytes=${5 * MiB - 10}-${5 * MiB + 9}` }));
    assert.ok((await bodyBytes(across.Body)).equals(data.subarray(5 * MiB - 10, 5 * MiB + 10)));
  });

  it("validates completion: part order, ETags, minimum part size, unknown uploads", async () => {
    const key = "strict.bin";
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    const small = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: Buffer.alloc(1024, 1) }));
    const big = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 2, Body: Buffer.alloc(5 * MiB, 2) }));
    const last = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 3, Body: Buffer.alloc(10, 3) }));
    const complete = (Parts: Array<{ PartNumber: number; ETag?: string }>) =>
      s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId, MultipartUpload: { Parts } }));
    await assert.rejects(complete([{ PartNumber: 2, ETag: big.ETag }, { PartNumber: 1, ETag: small.ETag }]), isError("InvalidPartOrder", 400));
    await assert.rejects(complete([{ PartNumber: 2, ETag: '"00000000000000000000000000000000"' }]), isError("InvalidPart", 400));
    await assert.rejects(complete([{ PartNumber: 4, ETag: last.ETag }]), isError("InvalidPart", 400));
    await assert.rejects(complete([{ PartNumber: 1, ETag: small.ETag }, { PartNumber: 3, ETag: last.ETag }]), isError("EntityTooSmall", 400));
    const listed = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId, MaxParts: 2 }));
    assert.deepEqual(listed.Parts!.map((p) => [p.PartNumber, p.Size]), [[1, 1024], [2, 5 * MiB]]);
    assert.equal(listed.IsTruncated, true);
    const rest = await s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId, PartNumberMarker: listed.NextPartNumberMarker }));
    assert.deepEqual(rest.Parts!.map((p) => p.PartNumber), [3]);
    // Part 1 is left out: only parts 2 and 3 make the object.
    const done = await complete([{ PartNumber: 2, ETag: big.ETag }, { PartNumber: 3, ETag: last.ETag }]);
    assert.match(done.ETag!, /^"[0-9a-f]{32}-2"$/);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.equal(got.ContentLength, 5 * MiB + 10);
    await assert.rejects(complete([{ PartNumber: 2, ETag: big.ETag }]), isError("NoSuchUpload", 404));
    await assert.rejects(s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: "nope", PartNumber: 1, Body: "x" })), isError("NoSuchUpload", 404));
    await assert.rejects(s3.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 10001, Body: "x" })), (e: any) => e.$metadata.httpStatusCode === 400);
  });

  it("aborts uploads and drops their parts' bytes", async () => {
    const before = blobFiles(stratus).length;
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "aborted.bin" }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "aborted.bin", UploadId, PartNumber: 1, Body: Buffer.alloc(MiB, 9) }));
    await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "aborted.bin", UploadId, PartNumber: 1, Body: Buffer.alloc(MiB, 8) }));
    assert.equal(blobFiles(stratus).length, before + 1, "a re-uploaded part replaces the old one");
    await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: "aborted.bin", UploadId }));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(blobFiles(stratus).length, before);
    await assert.rejects(s3.send(new ListPartsCommand({ Bucket: bucket, Key: "aborted.bin", UploadId })), isError("NoSuchUpload", 404));
  });

  it("lists in-progress uploads by key and initiation, with prefix, delimiter and markers", async () => {
    const b = bucketName("uploads");
    await s3.send(new CreateBucketCommand({ Bucket: b }));
    const ids: Record<string, string> = {};
    for (const key of ["a/1", "a/2", "b", "c", "c"]) {
      const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: b, Key: key }));
      ids[key + (ids[key] ? "#2" : "")] = UploadId!;
    }
    const all = await s3.send(new ListMultipartUploadsCommand({ Bucket: b }));
    assert.deepEqual(all.Uploads!.map((u) => u.Key), ["a/1", "a/2", "b", "c", "c"]);
    assert.deepEqual(all.Uploads!.slice(3).map((u) => u.UploadId), [ids.c, ids["c#2"]]);
    const rolled = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, Delimiter: "/" }));
    assert.deepEqual(rolled.CommonPrefixes!.map((p) => p.Prefix), ["a/"]);
    assert.deepEqual(rolled.Uploads!.map((u) => u.Key), ["b", "c", "c"]);
    const page = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, MaxUploads: 3 }));
    assert.equal(page.IsTruncated, true);
    assert.equal(page.NextKeyMarker, "b");
    const next = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker }));
    assert.deepEqual(next.Uploads!.map((u) => u.UploadId), [ids.c, ids["c#2"]]);
    const afterFirstC = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, KeyMarker: "c", UploadIdMarker: ids.c }));
    assert.deepEqual(afterFirstC.Uploads!.map((u) => u.UploadId), [ids["c#2"]]);
    const prefixed = await s3.send(new ListMultipartUploadsCommand({ Bucket: b, Prefix: "a/" }));
    assert.deepEqual(prefixed.Uploads!.map((u) => u.Key), ["a/1", "a/2"]);
  });

  it("copies byte ranges of objects into parts", async () => {
    const source = pattern(6 * MiB, 7);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "copy-src", Body: source }));
    const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "copy-dst" }));
    const p1 = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "copy-dst", UploadId, PartNumber: 1, CopySource: `${bucket}/copy-src`, CopySourceRange: `bytes=0-${5 * MiB - 1}` }));
    const p2 = await s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "copy-dst", UploadId, PartNumber: 2, CopySource: `${bucket}/copy-src`, CopySourceRange: `bytes=${5 * MiB}-${6 * MiB - 1}` }));
    assert.equal(p1.CopyPartResult!.ETag, `"${md5(source.subarray(0, 5 * MiB)).toString("hex")}"`);
    await assert.rejects(
      s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: "copy-dst", UploadId, PartNumber: 3, CopySource: `${bucket}/copy-src`, CopySourceRange: `bytes=0-${7 * MiB}` })),
      isError("InvalidRange", 416),
    );
    await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "copy-dst", UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.CopyPartResult!.ETag }, { PartNumber: 2, ETag: p2.CopyPartResult!.ETag }] } }),
    );
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "copy-dst" }));
    assert.ok((await bodyBytes(got.Body)).equals(source));
  });

  it("computes composite and full-object checksums of multipart objects", async () => {
    const a = pattern(5 * MiB, 11);
    const b = pattern(1000, 12);
    const composite = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "ck-composite", ChecksumAlgorithm: "SHA256" }));
    assert.equal(composite.ChecksumType, "COMPOSITE");
    const parts = [];
    for (const [i, body] of [a, b].entries()) {
      const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "ck-composite", UploadId: composite.UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: "SHA256" }));
      assert.equal(part.ChecksumSHA256, createHash("sha256").update(body).digest("base64"));
      parts.push({ PartNumber: i + 1, ETag: part.ETag, ChecksumSHA256: part.ChecksumSHA256 });
    }
    const done = await s3.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "ck-composite", UploadId: composite.UploadId, MultipartUpload: { Parts: parts } }));
    const expected = createHash("sha256")
      .update(Buffer.concat([createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest()]))
      .digest("base64");
    assert.equal(done.ChecksumSHA256, `${expected}-2`);
    assert.equal(done.ChecksumType, "COMPOSITE");

    const full = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: "ck-full", ChecksumAlgorithm: "CRC64NVME", ChecksumType: "FULL_OBJECT" }));
    const fullParts = [];
    for (const [i, body] of [a, b].entries()) {
      const part = await s3.send(new UploadPartCommand({ Bucket: bucket, Key: "ck-full", UploadId: full.UploadId, PartNumber: i + 1, Body: body, ChecksumAlgorithm: "CRC64NVME" }));
      fullParts.push({ PartNumber: i + 1, ETag: part.ETag });
    }
    const whole = Buffer.alloc(8);
    whole.writeBigUInt64BE(crc64nvme(Buffer.concat([a, b])));
    const fullDone = await s3.send(
      new CompleteMultipartUploadCommand({ Bucket: bucket, Key: "ck-full", UploadId: full.UploadId, MultipartUpload: { Parts: fullParts }, ChecksumCRC64NVME: whole.toString("base64"), ChecksumType: "FULL_OBJECT" }),
    );
    assert.equal(fullDone.ChecksumCRC64NVME, whole.toString("base64"));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "ck-full", ChecksumMode: "ENABLED" }));
    assert.equal(head.ChecksumCRC64NVME, whole.toString("base64"));
    assert.equal(head.ChecksumType, "FULL_OBJECT");
  });

  it("keeps part files as the object's bytes and removes them with the object", async () => {
    const before = blobFiles(stratus).length;
    const upload = new Upload({ client: s3, params: { Bucket: bucket, Key: "files.bin", Body: pattern(11 * MiB, 3) }, partSize: 5 * MiB });
    await upload.done();
    assert.equal(blobFiles(stratus).length, before + 3);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "files.bin" }));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(blobFiles(stratus).length, before);
  });
});
