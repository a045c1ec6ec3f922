import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  DeleteObjectTaggingCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import type { RunningStratus } from "../../src/index.js";
import { startTestStratus } from "../support/stratus.js";
import { rawS3 } from "./raw.js";
import { bodyBytes, bucketName, isError, s3Client } from "./support.js";

const md5 = (data: string | Buffer) => createHash("md5").update(data).digest("hex");

describe("S3 objects", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let bucket: string;
  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
    bucket = bucketName("obj");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(() => stratus.stop());

  it("round-trips bytes, content headers and user metadata; ETag is the MD5", async () => {
    const body = "model weights v1";
    const put = await s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: "models/v1.0/resnet50.pth",
        Body: body,
        ContentType: "application/octet-stream",
        ContentEncoding: "identity",
        ContentDisposition: 'attachment; filename="resnet50.pth"',
        ContentLanguage: "en",
        CacheControl: "max-age=60",
        Expires: new Date("2030-01-01T00:00:00Z"),
        Metadata: { "model-version": "1.0", framework: "pytorch" },
        StorageClass: "STANDARD_IA",
      }),
    );
    assert.equal(put.ETag, `"${md5(body)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "models/v1.0/resnet50.pth" }));
    assert.equal((await bodyBytes(got.Body)).toString(), body);
    assert.equal(got.ETag, put.ETag);
    assert.equal(got.ContentLength, body.length);
    assert.equal(got.ContentType, "application/octet-stream");
    assert.equal(got.ContentEncoding, "identity");
    assert.equal(got.ContentDisposition, 'attachment; filename="resnet50.pth"');
    assert.equal(got.ContentLanguage, "en");
    assert.equal(got.CacheControl, "max-age=60");
    assert.equal(got.Expires?.toISOString(), "2030-01-01T00:00:00.000Z");
    assert.deepEqual(got.Metadata, { "model-version": "1.0", framework: "pytorch" });
    assert.equal(got.StorageClass, "STANDARD_IA");
    assert.equal(got.AcceptRanges, "bytes");
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "models/v1.0/resnet50.pth" }));
    assert.equal(head.ContentLength, body.length);
    assert.deepEqual(head.Metadata, got.Metadata);
    assert.ok(head.LastModified instanceof Date);
  });

  it("stores a gzip Content-Encoding body as sent (request compression is CloudWatch's, not S3's)", async () => {
    const { gzipSync } = await import("node:zlib");
    const compressed = gzipSync(Buffer.from("epoch,loss\n1,0.9\n2,0.5\n".repeat(50)));
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "logs/train.csv.gz", Body: compressed, ContentEncoding: "gzip", ContentType: "text/csv" }));
    assert.equal(put.ETag, `"${md5(compressed)}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "logs/train.csv.gz" }));
    assert.equal(got.ContentEncoding, "gzip");
    assert.equal(got.ContentLength, compressed.length);
    assert.deepEqual(await bodyBytes(got.Body), compressed);
  });

  it("stores keys of any UTF-8 up to 1024 bytes, never as paths", async () => {
    const keys = ["../../../etc/passwd", "a//b", "dir/", "with space and +plus", "日本語/ファイル.txt", "emoji 🚀.bin", "?#%&=", "x".repeat(1024)];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: `body of ${key}` }));
    for (const key of keys) {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      assert.equal((await bodyBytes(got.Body)).toString(), `body of ${key}`, key);
    }
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "é".repeat(513), Body: "x" })), isError("KeyTooLongError", 400));
    // Keys never become paths: S3's bytes live in SQLite or under blobs/s3/{data,tmp}, named by id.
    const root = path.dirname(stratus.cloud.blobsDir);
    const walk = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? [e.name, ...walk(path.join(dir, e.name))] : [e.name]));
    assert.deepEqual(walk(root).filter((name) => /passwd|etc|ファイル|emoji|space/.test(name)), []);
    assert.deepEqual(readdirSync(path.join(stratus.cloud.blobsDir, "s3")).sort(), ["data", "tmp"]);
  });

  it("answers NoSuchKey and NoSuchBucket, and HEAD errors without a body", async () => {
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "missing" })), (e: any) => {
      assert.equal(e.name, "NoSuchKey");
      assert.equal(e.$metadata.httpStatusCode, 404);
      assert.equal(e.message, "The specified key does not exist.");
      return true;
    });
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: "no-such-bucket-here", Key: "k" })), isError("NoSuchBucket", 404));
    const raw = await rawS3(stratus, "GET", `/${bucket}/missing`);
    assert.match(raw.body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<Error><Code>NoSuchKey<\/Code><Message>The specified key does not exist.<\/Message><Key>missing<\/Key><RequestId>[^<]+<\/RequestId><HostId>[^<]+<\/HostId><\/Error>$/);
    assert.ok(raw.headers["x-amz-request-id"]);
    const head = await rawS3(stratus, "HEAD", `/${bucket}/missing`);
    assert.equal(head.status, 404);
    assert.equal(head.body, "");
  });

  it("serves byte ranges: closed, open, suffix, and 416 beyond the end", async () => {
    const data = "0123456789abcdefghij";
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "range.txt", Body: data }));
    const read = async (range: string) => {
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "range.txt", Range: range }));
      return { text: (await bodyBytes(got.Body)).toString(), range: got.ContentRange, length: got.ContentLength, status: got.$metadata.httpStatusCode };
    };
    assert.deepEqual(await read("bytes=0-4"), { text: "01234", range: "bytes 0-4/20", length: 5, status: 206 });
    assert.deepEqual(await read("bytes=15-"), { text: "fghij", range: "bytes 15-19/20", length: 5, status: 206 });
    assert.deepEqual(await read("bytes=-3"), { text: "hij", range: "bytes 17-19/20", length: 3, status: 206 });
    assert.deepEqual(await read("bytes=18-100"), { text: "ij", range: "bytes 18-19/20", length: 2, status: 206 });
    await assert.rejects(read("bytes=20-25"), isError("InvalidRange", 416));
    const whole = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "range.txt", Range: "bytes=a-b" }));
    assert.equal(whole.$metadata.httpStatusCode, 200);
  });

  it("evaluates conditional reads (412, 304) and conditional writes (If-None-Match: *, If-Match)", async () => {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cond", Body: "v1" }));
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfMatch: '"nope"' })), isError("PreconditionFailed", 412));
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfNoneMatch: put.ETag })), (e: any) => e.$metadata.httpStatusCode === 304);
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "cond", IfNoneMatch: put.ETag })), (e: any) => e.$metadata.httpStatusCode === 304);
    await assert.rejects(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfModifiedSince: new Date(Date.now() + 3600_000) })),
      (e: any) => e.$metadata.httpStatusCode === 304,
    );
    await assert.rejects(
      s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfUnmodifiedSince: new Date("2000-01-01") })),
      isError("PreconditionFailed", 412),
    );
    const ok = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "cond", IfMatch: put.ETag, IfModifiedSince: new Date("2000-01-01") }));
    assert.equal((await bodyBytes(ok.Body)).toString(), "v1");
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cond", Body: "v2", IfNoneMatch: "*" })), isError("PreconditionFailed", 412));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cond-new", Body: "first", IfNoneMatch: "*" }));
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cond", Body: "v2", IfMatch: '"0000"' })), isError("PreconditionFailed", 412));
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cond-absent", Body: "v2", IfMatch: put.ETag })), isError("NoSuchKey", 404));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "cond", Body: "v2", IfMatch: put.ETag }));
  });

  it("validates Content-MD5 and the signed payload hash", async () => {
    await assert.rejects(
      s3.send(new PutObjectCommand({ Bucket: bucket, Key: "md5", Body: "hello", ContentMD5: createHash("md5").update("other").digest("base64") })),
      isError("BadDigest", 400),
    );
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "md5", Body: "hello", ContentMD5: createHash("md5").update("hello").digest("base64") }));
    const bad = await rawS3(stratus, "PUT", `/${bucket}/sha`, { body: "payload", payloadHash: createHash("sha256").update("something else").digest("hex") });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /<Code>XAmzContentSHA256Mismatch<\/Code>/);
    const missing = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "sha" })).catch((e) => e);
    assert.equal(missing.$metadata.httpStatusCode, 404);
    const good = await rawS3(stratus, "PUT", `/${bucket}/sha`, { body: "payload" });
    assert.equal(good.status, 200);
  });

  it("validates, stores and returns flexible checksums (CRC32, CRC32C, CRC64NVME, SHA1, SHA256)", async () => {
    const data = Buffer.from("The quick brown fox jumps over the lazy dog");
    const expected: Record<string, string> = {
      SHA1: createHash("sha1").update(data).digest("base64"),
      SHA256: createHash("sha256").update(data).digest("base64"),
    };
    for (const algorithm of ["CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256"] as const) {
      const key = `ck-${algorithm}`;
      const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: data, ChecksumAlgorithm: algorithm }));
      const value = (put as any)[`Checksum${algorithm}`];
      assert.ok(value, algorithm);
      const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, ChecksumMode: "ENABLED" }));
      assert.equal((got as any)[`Checksum${algorithm}`], value);
      assert.equal(got.ChecksumType, "FULL_OBJECT");
      assert.deepEqual(await bodyBytes(got.Body), data);
      if (algorithm === "SHA1" || algorithm === "SHA256") assert.equal(value, expected[algorithm]);
    }
    // Known CRC values of this sentence, computed independently.
    const crc32c = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "ck-CRC32C", ChecksumMode: "ENABLED" }));
    assert.equal(Buffer.from(crc32c.ChecksumCRC32C!, "base64").readUInt32BE(), 0x22620404);
    const crc64 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "ck-CRC64NVME", ChecksumMode: "ENABLED" }));
    assert.equal(Buffer.from(crc64.ChecksumCRC64NVME!, "base64").readBigUInt64BE(), 0xd76c54054954c143n);
    const wrong = await rawS3(stratus, "PUT", `/${bucket}/ck-wrong`, { body: data, headers: { "x-amz-checksum-crc32": "AAAAAA==" } });
    assert.equal(wrong.status, 400);
    assert.match(wrong.body, /<Code>BadDigest<\/Code><Message>The CRC32 you specified did not match the calculated checksum.<\/Message>/);
    const malformed = await rawS3(stratus, "PUT", `/${bucket}/ck-wrong`, { body: data, headers: { "x-amz-checksum-sha256": "short" } });
    assert.match(malformed.body, /<Code>InvalidRequest<\/Code><Message>Value for x-amz-checksum-sha256 header is invalid.<\/Message>/);
  });

  it("takes streamed bodies (aws-chunked with a trailing checksum)", async () => {
    const data = Buffer.alloc(3 * 1024 * 1024 + 17, 3);
    for (let i = 0; i < data.length; i += 997) data[i] = i % 251;
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "streamed.bin", Body: Readable.from([data.subarray(0, 100_000), data.subarray(100_000)]), ContentLength: data.length }));
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "streamed.bin", ChecksumMode: "ENABLED" }));
    assert.ok(got.ChecksumCRC32, "the SDK's default CRC32 trailer was stored");
    assert.deepEqual(await bodyBytes(got.Body), data);
  });

  it("stores storage classes; archived objects answer InvalidObjectState until restored", async () => {
    for (const storageClass of ["STANDARD", "STANDARD_IA", "ONEZONE_IA", "INTELLIGENT_TIERING", "GLACIER_IR", "GLACIER", "DEEP_ARCHIVE"] as const) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: `sc/${storageClass}`, Body: "x", StorageClass: storageClass }));
    }
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "sc/" }));
    assert.deepEqual(
      Object.fromEntries(listed.Contents!.map((o) => [o.Key, o.StorageClass])),
      Object.fromEntries(["DEEP_ARCHIVE", "GLACIER", "GLACIER_IR", "INTELLIGENT_TIERING", "ONEZONE_IA", "STANDARD", "STANDARD_IA"].map((c) => [`sc/${c}`, c])),
    );
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "sc/GLACIER" })), isError("InvalidObjectState", 403));
    await assert.rejects(s3.send(new GetObjectCommand({ Bucket: bucket, Key: "sc/DEEP_ARCHIVE" })), isError("InvalidObjectState", 403));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "sc/GLACIER" }));
    assert.equal(head.StorageClass, "GLACIER");
    const ir = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "sc/GLACIER_IR" }));
    assert.equal((await bodyBytes(ir.Body)).toString(), "x");
    await assert.rejects(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "sc/bad", Body: "x", StorageClass: "WARM" as never })), isError("InvalidStorageClass", 400));
  });

  it("copies objects with COPY and REPLACE directives, conditions and storage classes", async () => {
    const other = bucketName("copy-dst");
    await s3.send(new CreateBucketCommand({ Bucket: other }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "src/ü file", Body: "copy me", ContentType: "text/plain", Metadata: { a: "1" }, Tagging: "team=ml" }));
    const copied = await s3.send(new CopyObjectCommand({ Bucket: other, Key: "dst", CopySource: `${bucket}/${encodeURIComponent("src/ü file")}` }));
    assert.equal(copied.CopyObjectResult?.ETag, `"${md5("copy me")}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: other, Key: "dst" }));
    assert.equal((await bodyBytes(got.Body)).toString(), "copy me");
    assert.equal(got.ContentType, "text/plain");
    assert.deepEqual(got.Metadata, { a: "1" });
    assert.equal(got.TagCount, 1);
    await s3.send(
      new CopyObjectCommand({ Bucket: other, Key: "dst2", CopySource: `${bucket}/src/ü file`, MetadataDirective: "REPLACE", Metadata: { b: "2" }, ContentType: "text/x", StorageClass: "ONEZONE_IA", TaggingDirective: "REPLACE" }),
    );
    const replaced = await s3.send(new HeadObjectCommand({ Bucket: other, Key: "dst2" }));
    assert.deepEqual(replaced.Metadata, { b: "2" });
    assert.equal(replaced.ContentType, "text/x");
    assert.equal(replaced.StorageClass, "ONEZONE_IA");
    assert.equal(replaced.TagCount, undefined);
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "src/ü file", CopySource: `${bucket}/src/ü file` })), isError("InvalidRequest", 400));
    await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: "src/ü file", CopySource: `${bucket}/src/ü file`, MetadataDirective: "REPLACE", Metadata: { c: "3" } }));
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: other, Key: "dst3", CopySource: `${bucket}/src/ü file`, CopySourceIfMatch: '"abc"' })), isError("PreconditionFailed", 412));
    await assert.rejects(
      s3.send(new CopyObjectCommand({ Bucket: other, Key: "dst3", CopySource: `${bucket}/src/ü file`, CopySourceIfModifiedSince: new Date(Date.now() + 3600_000) })),
      isError("PreconditionFailed", 412),
    );
    await assert.rejects(s3.send(new CopyObjectCommand({ Bucket: other, Key: "dst3", CopySource: `${bucket}/absent` })), isError("NoSuchKey", 404));
  });

  it("deletes objects singly and in batches, with quiet mode", async () => {
    for (const k of ["d1", "d2", "d3"]) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: k, Body: k }));
    const single = await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "d1" }));
    assert.equal(single.$metadata.httpStatusCode, 204);
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: "never-existed" }));
    const batch = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: [{ Key: "d2" }, { Key: "d3" }, { Key: "nope" }, { Key: "d4", VersionId: "bogus!" }] } }));
    assert.deepEqual(batch.Deleted!.map((d) => d.Key).sort(), ["d2", "d3", "nope"]);
    assert.deepEqual(batch.Errors!.map((e) => [e.Key, e.Code]), [["d4", "InvalidArgument"]]);
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "q1", Body: "x" }));
    const quiet = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Quiet: true, Objects: [{ Key: "q1" }] } }));
    assert.equal(quiet.Deleted, undefined);
    await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "q1" })), (e: any) => e.$metadata.httpStatusCode === 404);
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({ Key: `k${i}` }));
    await assert.rejects(s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: tooMany } })), isError("MalformedXML", 400));
  });

  it("tags objects on PUT and with the tagging API, validating tags", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "tagged", Body: "t", Tagging: "project=ml%20infra&env=dev" }));
    const tags = await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "tagged" }));
    assert.deepEqual(tags.TagSet, [{ Key: "env", Value: "dev" }, { Key: "project", Value: "ml infra" }], "a tag set comes back in key order");
    await s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "tagged", Tagging: { TagSet: [{ Key: "owner", Value: "alice" }] } }));
    assert.deepEqual((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "tagged" }))).TagSet, [{ Key: "owner", Value: "alice" }]);
    await s3.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: "tagged" }));
    assert.deepEqual((await s3.send(new GetObjectTaggingCommand({ Bucket: bucket, Key: "tagged" }))).TagSet ?? [], []);
    await assert.rejects(
      s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "tagged", Tagging: { TagSet: [{ Key: "a", Value: "1" }, { Key: "a", Value: "2" }] } })),
      isError("InvalidTag", 400),
    );
    await assert.rejects(
      s3.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: "tagged", Tagging: { TagSet: Array.from({ length: 11 }, (_, i) => ({ Key: `k${i}`, Value: "v" })) } })),
      (e: any) => e.$metadata.httpStatusCode === 400,
    );
    const attributes = await s3.send(new GetObjectAttributesCommand({ Bucket: bucket, Key: "tagged", ObjectAttributes: ["ETag", "ObjectSize", "StorageClass"] }));
    assert.equal(attributes.ETag, md5("t"));
    assert.equal(attributes.ObjectSize, 1);
    assert.equal(attributes.StorageClass, "STANDARD");
  });

  it("serves presigned GET and PUT URLs, and refuses them once expired", async () => {
    const putUrl = await getSignedUrl(s3, new PutObjectCommand({ Bucket: bucket, Key: "presigned.txt" }), { expiresIn: 300 });
    const put = await fetch(putUrl, { method: "PUT", body: "uploaded by URL" });
    assert.equal(put.status, 200);
    const getUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "presigned.txt", ResponseContentDisposition: "attachment" }), { expiresIn: 300 });
    const got = await fetch(getUrl);
    assert.equal(got.status, 200);
    assert.equal(await got.text(), "uploaded by URL");
    assert.equal(got.headers.get("content-disposition"), "attachment");
    const expiredUrl = await getSignedUrl(s3, new GetObjectCommand({ Bucket: bucket, Key: "presigned.txt" }), { expiresIn: 1, signingDate: new Date(Date.now() - 60_000) });
    const expired = await fetch(expiredUrl);
    assert.equal(expired.status, 403);
    assert.match(await expired.text(), /<Code>AccessDenied<\/Code><Message>Request has expired<\/Message>/);
  });

  it("denies anonymous requests to a private bucket", async () => {
    const anonymous = await rawS3(stratus, "GET", `/${bucket}/tagged`, { anonymous: true });
    assert.equal(anonymous.status, 403);
    assert.match(anonymous.body, /<Code>AccessDenied<\/Code>/);
  });
});
