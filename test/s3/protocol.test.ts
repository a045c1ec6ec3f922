import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";
import net from "node:net";
import { crc32 } from "node:zlib";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import { startTestStratus } from "../support/stratus.js";
import { putExpectingContinue, rawS3, signedChunkedPut, unsignedTrailerPut } from "./raw.js";
import { bodyBytes, bucketName, s3Client } from "./support.js";

const crc32b64 = (data: Buffer) => {
  const out = Buffer.alloc(4);
  out.writeUInt32BE(crc32(data) >>> 0);
  return out.toString("base64");
};

describe("S3 wire protocol", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let bucket: string;
  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
    bucket = bucketName("wire");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });
  after(() => stratus.stop());

  it("addresses buckets virtual-hosted style (bucket.localhost, bucket.s3.localhost.localstack.cloud)", async () => {
    const port = new URL(stratus.endpoint).port;
    const put = await rawS3(stratus, "PUT", "/", { rawPath: "/vhost%20key.txt", body: "via vhost", headers: { host: `${bucket}.localhost:${port}` } });
    assert.equal(put.status, 200, put.body);
    const got = await rawS3(stratus, "GET", "/", { rawPath: "/vhost%20key.txt", headers: { host: `${bucket}.s3.localhost.localstack.cloud:${port}` } });
    assert.equal(got.body, "via vhost");
    const listed = await rawS3(stratus, "GET", "/", { rawPath: "/", query: "list-type=2", headers: { host: `${bucket}.s3.localhost:${port}` } });
    assert.match(listed.body, /<Key>vhost key.txt<\/Key>/);
    const buckets = await rawS3(stratus, "GET", "/", { rawPath: "/", headers: { host: `s3.localhost:${port}` } });
    assert.match(buckets.body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListAllMyBucketsResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Buckets><Bucket>/);
  });

  it("writes S3's document shapes: root elements, namespace, GetBucketLocation's bare body", async () => {
    const west = bucketName("wire-west");
    await s3Client(stratus, { region: "us-west-2" }).send(new CreateBucketCommand({ Bucket: west, CreateBucketConfiguration: { LocationConstraint: "us-west-2" } }));
    const location = await rawS3(stratus, "GET", `/${west}`, { query: "location", region: "us-west-2" });
    assert.equal(location.body, '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/">us-west-2</LocationConstraint>');
    const east = await rawS3(stratus, "GET", `/${bucket}`, { query: "location" });
    assert.equal(east.body, '<?xml version="1.0" encoding="UTF-8"?>\n<LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"/>');
    const versioning = await rawS3(stratus, "GET", `/${bucket}`, { query: "versioning" });
    assert.equal(versioning.body, '<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="http://s3.amazonaws.com/doc/2006-03-01/"></VersioningConfiguration>');
    const initiated = await rawS3(stratus, "POST", `/${bucket}/mpu`, { query: "uploads" });
    assert.match(initiated.body, /<InitiateMultipartUploadResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/"><Bucket>[^<]+<\/Bucket><Key>mpu<\/Key><UploadId>/);
    const empty = await rawS3(stratus, "PUT", `/${bucket}/empty`, { body: "" });
    assert.equal(empty.headers["content-length"], "0");
    const unknown = await rawS3(stratus, "POST", `/${bucket}/obj`);
    assert.equal(unknown.status, 405);
    assert.match(unknown.body, /<Code>MethodNotAllowed<\/Code>/);
  });

  it("answers 501 for operations Stratus does not implement, naming them", async () => {
    const response = await rawS3(stratus, "GET", `/${bucket}`, { query: "analytics&id=x" });
    assert.equal(response.status, 501);
    assert.match(response.body, /s3:GetBucketAnalyticsConfiguration is not implemented in Stratus/);
  });

  it("returns non-ASCII user metadata RFC 2047-encoded, however it was sent", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "meta", Body: "x", Metadata: { latin: "café", ascii: "plain" } }));
    const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "meta" }));
    assert.equal(head.Metadata!.latin, `=?UTF-8?B?${Buffer.from("café").toString("base64")}?=`);
    assert.equal(head.Metadata!.ascii, "plain");
    // Raw UTF-8 bytes in the header, and an RFC 2047 encoded-word, both mean the same text.
    const url = new URL(stratus.endpoint);
    const request = Buffer.concat([
      Buffer.from(
        `PUT /${bucket}/meta2 HTTP/1.1\r\nHost: ${url.host}\r\nContent-Length: 1\r\nConnection: close\r\n` +
          "Authorization: AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0\r\n",
      ),
      Buffer.from("x-amz-meta-city: Zürich 東京\r\n", "utf8"),
      Buffer.from("x-amz-meta-word: =?UTF-8?B?8J+agA==?=\r\n\r\nx"),
    ]);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = net.connect(Number(url.port), url.hostname, () => socket.end(request));
      let text = "";
      socket.on("data", (c) => (text += c));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    });
    const status = Number(reply.split(" ")[1]);
    assert.equal(status, 200);
    const head2 = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: "meta2" }));
    const decode = (v: string) => Buffer.from(/^=\?UTF-8\?B\?(.*)\?=$/.exec(v)![1], "base64").toString("utf8");
    assert.equal(decode(head2.Metadata!.city), "Zürich 東京");
    assert.equal(decode(head2.Metadata!.word), "🚀");
  });

  it("decodes unsigned aws-chunked bodies with trailing checksums, and rejects bad ones", async () => {
    const data = [Buffer.from("hello "), Buffer.alloc(70_000, 0x61), Buffer.from(" world")];
    const whole = Buffer.concat(data);
    const ok = await unsignedTrailerPut(stratus, `/${bucket}/trailer`, data, { name: "x-amz-checksum-crc32", value: crc32b64(whole) });
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.headers.etag, `"${createHash("md5").update(whole).digest("hex")}"`);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "trailer", ChecksumMode: "ENABLED" }));
    assert.ok((await bodyBytes(got.Body)).equals(whole));
    assert.equal(got.ChecksumCRC32, crc32b64(whole));
    assert.equal(got.ContentEncoding, undefined, "aws-chunked is not stored as a content encoding");
    const bad = await unsignedTrailerPut(stratus, `/${bucket}/trailer-bad`, data, { name: "x-amz-checksum-crc32", value: "AAAAAA==" });
    assert.equal(bad.status, 400);
    assert.match(bad.body, /<Code>BadDigest<\/Code>/);
    const short = await unsignedTrailerPut(stratus, `/${bucket}/trailer-short`, data, { name: "x-amz-checksum-crc32", value: crc32b64(whole) }, { decodedLength: whole.length + 5 });
    assert.match(short.body, /<Code>IncompleteBody<\/Code>/);
    const cut = await unsignedTrailerPut(stratus, `/${bucket}/trailer-cut`, data, { name: "x-amz-checksum-crc32", value: crc32b64(whole) }, { truncate: true });
    assert.match(cut.body, /<Code>IncompleteBody<\/Code>/);
    for (const key of ["trailer-bad", "trailer-short", "trailer-cut"]) {
      await assert.rejects(s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })), (e: any) => e.$metadata.httpStatusCode === 404, key);
    }
  });

  it("requires a length for uploads", async () => {
    const url = new URL(stratus.endpoint);
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { host: url.hostname, port: url.port, method: "PUT", path: `/${bucket}/no-length`, headers: { "transfer-encoding": "chunked", authorization: "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0" } },
        (res) => {
          let body = "";
          res.on("data", (c) => (body += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        },
      );
      req.on("error", reject);
      req.write("abc");
      req.end();
    });
    assert.equal(status.status, 411);
    assert.match(status.body, /<Code>MissingContentLength<\/Code>/);
  });

  it("sends 100 Continue only when it reads the body, and refuses a doomed upload before its body is sent", async () => {
    const body = Buffer.alloc(200_000, 7);
    const ok = await putExpectingContinue(stratus, `/${bucket}/continued.bin`, body);
    assert.equal(ok.status, 200, ok.body);
    assert.equal(ok.continued, true);
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "continued.bin" }));
    assert.ok((await bodyBytes(got.Body)).equals(body));
    const missing = await putExpectingContinue(stratus, `/${bucket}-missing/x.bin`, body);
    assert.equal(missing.status, 404);
    assert.match(missing.body, /<Code>NoSuchBucket<\/Code>/);
    assert.equal(missing.continued, false, "no go-ahead before an error");
    assert.equal(missing.headers.connection, "close", "the unsent body cannot be mistaken for the next request");
    const bad = await putExpectingContinue(stratus, `/${bucket}/${"k".repeat(1100)}`, body);
    assert.equal(bad.status, 400);
    assert.equal(bad.continued, false);
  });

  describe("in strict auth mode", () => {
    let strict: RunningStratus;
    const credentials = { accessKeyId: "AKIASTRICTTESTKEY001", secretAccessKey: "strict-secret" };
    before(async () => {
      strict = await startTestStratus({ auth: "strict", credentials: [credentials] });
      await s3Client(strict, { credentials }).send(new CreateBucketCommand({ Bucket: "strict-bucket" }));
    });
    after(() => strict.stop());

    it("checks every chunk signature of signed aws-chunked uploads", async () => {
      const chunks = [Buffer.alloc(65536, 1), Buffer.alloc(65536, 2), Buffer.from("tail")];
      const ok = await signedChunkedPut(strict, "/strict-bucket/signed.bin", chunks, credentials);
      assert.equal(ok.status, 200, ok.body);
      const got = await s3Client(strict, { credentials }).send(new GetObjectCommand({ Bucket: "strict-bucket", Key: "signed.bin" }));
      assert.ok((await bodyBytes(got.Body)).equals(Buffer.concat(chunks)));
      const tampered = await signedChunkedPut(strict, "/strict-bucket/tampered.bin", chunks, credentials, { tamper: true });
      assert.equal(tampered.status, 403);
      assert.match(tampered.body, /<Code>SignatureDoesNotMatch<\/Code>/);
      await assert.rejects(s3Client(strict, { credentials }).send(new HeadObjectCommand({ Bucket: "strict-bucket", Key: "tampered.bin" })), (e: any) => e.$metadata.httpStatusCode === 404);
    });

    it("refuses an anonymous or badly signed upload that expects 100-continue without asking for its body", async () => {
      const body = Buffer.alloc(1000, 1);
      const anonymous = await putExpectingContinue(strict, "/strict-bucket/anon.bin", body, { anonymous: true });
      assert.equal(anonymous.status, 403);
      assert.equal(anonymous.continued, false);
      const wrong = await putExpectingContinue(strict, "/strict-bucket/wrong.bin", body, { ...credentials, secretAccessKey: "wrong" });
      assert.equal(wrong.status, 403);
      assert.match(wrong.body, /<Code>SignatureDoesNotMatch<\/Code>/);
      assert.equal(wrong.continued, false);
      const ok = await putExpectingContinue(strict, "/strict-bucket/continued.bin", body, credentials);
      assert.equal(ok.status, 200, ok.body);
      assert.equal(ok.continued, true);
    });

    it("accepts SDK v3 uploads (unsigned streaming trailer) and wrong keys fail", async () => {
      const client = s3Client(strict, { credentials });
      await client.send(new PutObjectCommand({ Bucket: "strict-bucket", Key: "sdk.txt", Body: "signed by the SDK" }));
      const wrong = s3Client(strict, { credentials: { ...credentials, secretAccessKey: "wrong" } });
      await assert.rejects(wrong.send(new GetObjectCommand({ Bucket: "strict-bucket", Key: "sdk.txt" })), (e: any) => e.name === "SignatureDoesNotMatch");
    });
  });
});
