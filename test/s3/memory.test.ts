/**
 * Bounded memory: a 256 MiB upload (aws-chunked with a trailing CRC32, as
 * SDKs send it) and its download stream through a few MiB of buffers, not
 * the object's size.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import http from "node:http";
import { Readable } from "node:stream";
import { crc32 } from "node:zlib";
import { after, before, describe, it } from "node:test";
import type { RunningStratus } from "../../src/index.js";
import { startTestStratus } from "../support/stratus.js";
import { rawS3 } from "./raw.js";

const SIZE = 256 * 1024 * 1024;
const CHUNK = 64 * 1024;
const AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

function sampler() {
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
  return () => {
    clearInterval(timer);
    return Math.max(peak, process.memoryUsage().rss) - baseline;
  };
}

describe("S3 memory use", () => {
  let stratus: RunningStratus;
  before(async () => {
    stratus = await startTestStratus();
    assert.equal((await rawS3(stratus, "PUT", "/memory-bucket")).status, 200);
  });
  after(() => stratus.stop());

  it("streams a 256 MiB upload and download in bounded memory", async () => {
    const piece = Buffer.alloc(CHUNK);
    for (let i = 0; i < CHUNK; i++) piece[i] = (i * 31) & 0xff;
    const md5 = createHash("md5");
    let crc = 0;
    let sent = 0;
    const header = Buffer.from(`${CHUNK.toString(16)}\r\n`);
    const crlf = Buffer.from("\r\n");
    const body = new Readable({
      read() {
        if (sent >= SIZE) {
          const value = Buffer.alloc(4);
          value.writeUInt32BE(crc >>> 0);
          this.push(Buffer.from(`0\r\nx-amz-checksum-crc32:${value.toString("base64")}\r\n\r\n`));
          this.push(null);
          return;
        }
        sent += CHUNK;
        md5.update(piece);
        crc = crc32(piece, crc);
        this.push(Buffer.concat([header, piece, crlf]));
      },
    });
    const encodedLength = (SIZE / CHUNK) * (header.length + CHUNK + 2) + `0\r\nx-amz-checksum-crc32:AAAAAA==\r\n\r\n`.length;
    const url = new URL(stratus.endpoint);
    global.gc?.();
    const uploadPeak = sampler();
    const reply = await new Promise<{ status: number; etag?: string; body: string }>((resolve, reject) => {
      const req = http.request(
        {
          host: url.hostname,
          port: url.port,
          method: "PUT",
          path: "/memory-bucket/big.bin",
          headers: {
            authorization: AUTH,
            "x-amz-content-sha256": "STREAMING-UNSIGNED-PAYLOAD-TRAILER",
            "content-encoding": "aws-chunked",
            "x-amz-trailer": "x-amz-checksum-crc32",
            "x-amz-decoded-content-length": String(SIZE),
            "content-length": String(encodedLength),
          },
        },
        (res) => {
          let text = "";
          res.on("data", (c) => (text += c));
          res.on("end", () => resolve({ status: res.statusCode ?? 0, etag: res.headers.etag, body: text }));
        },
      );
      req.on("error", reject);
      body.pipe(req);
    });
    const uploadGrowth = uploadPeak();
    assert.equal(reply.status, 200, reply.body);
    assert.equal(reply.etag, `"${md5.digest("hex")}"`);
    assert.ok(uploadGrowth < 96 * 1024 * 1024, `RSS grew ${(uploadGrowth / 1048576).toFixed(0)} MiB during a 256 MiB upload`);

    const downloadPeak = sampler();
    const check = createHash("md5");
    let received = 0;
    await new Promise<void>((resolve, reject) => {
      http.get({ host: url.hostname, port: url.port, path: "/memory-bucket/big.bin", headers: { authorization: AUTH } }, (res) => {
        res.on("data", (c: Buffer) => {
          received += c.length;
          check.update(c);
        });
        res.on("end", () => resolve());
        res.on("error", reject);
      });
    });
    const downloadGrowth = downloadPeak();
    assert.equal(received, SIZE);
    assert.equal(`"${check.digest("hex")}"`, reply.etag);
    assert.ok(downloadGrowth < 96 * 1024 * 1024, `RSS grew ${(downloadGrowth / 1048576).toFixed(0)} MiB during a 256 MiB download`);
  });
});
