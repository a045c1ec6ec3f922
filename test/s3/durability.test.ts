/**
 * Crash safety: SIGKILL the server in the middle of many concurrent uploads
 * (single PUTs small and large, multipart parts), restart it on the same
 * data dir, and check that every acknowledged upload reads back
 * byte-identical, that nothing half-written is listed, and that no blob file
 * is left without a reference (and no reference without its file).
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import { startStratus } from "../../src/index.js";
import type { S3Provider } from "../../src/services/s3/provider.js";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
const AUTH = "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function startServer(dataDir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [path.join(ROOT, "bin/stratus.cjs"), "start", "--port", String(port), "--data-dir", dataDir, "--quiet"], { stdio: "ignore" });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, "127.0.0.1", () => resolve(!!socket.end()));
      socket.on("error", () => resolve(false));
    });
    if (up) return child;
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error("server did not start");
}

interface Reply {
  status: number;
  body: Buffer;
  headers: http.IncomingHttpHeaders;
}

function request(port: number, method: string, path: string, body?: Buffer | Readable, length?: number): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: AUTH, "x-amz-content-sha256": "UNSIGNED-PAYLOAD" };
    if (body !== undefined) headers["content-length"] = String(length ?? (body as Buffer).length);
    const req = http.request({ host: "127.0.0.1", port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks), headers: res.headers }));
      res.on("error", reject);
    });
    req.on("error", reject);
    if (body === undefined) req.end();
    else if (Buffer.isBuffer(body)) req.end(body);
    else body.pipe(req);
  });
}

/** A body that trickles out in 64 KiB pieces, so that the upload stays in flight for a while. */
function trickle(data: Buffer): Readable {
  let offset = 0;
  return new Readable({
    read() {
      if (offset >= data.length) return void this.push(null);
      const piece = data.subarray(offset, offset + 65536);
      offset += piece.length;
      setTimeout(() => this.push(piece), 2);
    },
  });
}

const sha = (data: Buffer) => createHash("sha256").update(data).digest("hex");

describe("S3 durability", () => {
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "stratus-crash-"));
  let server: ChildProcess | undefined;
  after(() => {
    if (server && server.exitCode === null) server.kill("SIGKILL");
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("survives SIGKILL during concurrent uploads: acknowledged bytes intact, nothing torn listed, no orphans", async () => {
    const port = await freePort();
    server = await startServer(dataDir, port);
    assert.equal((await request(port, "PUT", "/crash")).status, 200);

    const intended = new Map<string, string>(); // key → sha256 of what the client sent
    const acknowledged = new Set<string>();
    const ackedParts: Array<{ uploadId: string; part: number; etag: string; hash: string }> = [];
    let inFlight = 0;
    let killed = false;
    let largeAcked = 0;

    const putLoop = async (worker: number, large: boolean) => {
      for (let i = 0; !killed; i++) {
        const key = `${large ? "large" : "small"}/${worker}/${i}`;
        const data = randomBytes(large ? 1024 * 1024 + ((worker * 7919 + i * 104729) % (3 * 1024 * 1024)) : 1000 + ((worker + i) % 60000));
        intended.set(key, sha(data));
        inFlight++;
        try {
          const reply = await request(port, "PUT", `/crash/${key}`, large ? trickle(data) : data, data.length);
          if (reply.status === 200) {
            acknowledged.add(key);
            if (large) largeAcked++;
          }
        } catch {
          // The server died under this request: it was never acknowledged.
        } finally {
          inFlight--;
        }
      }
    };
    const partLoop = async () => {
      const created = await request(port, "POST", "/crash/multipart?uploads");
      const uploadId = /<UploadId>([^<]+)<\/UploadId>/.exec(created.body.toString())![1];
      for (let part = 1; !killed; part++) {
        const data = randomBytes(5 * 1024 * 1024 + part);
        inFlight++;
        try {
          const reply = await request(port, "PUT", `/crash/multipart?partNumber=${part}&uploadId=${encodeURIComponent(uploadId)}`, trickle(data), data.length);
          if (reply.status === 200) ackedParts.push({ uploadId, part, etag: String(reply.headers.etag), hash: sha(data) });
        } catch {
          // Killed mid-part.
        } finally {
          inFlight--;
        }
      }
    };
    const loops = [
      ...Array.from({ length: 12 }, (_, w) => putLoop(w, false)),
      ...Array.from({ length: 6 }, (_, w) => putLoop(w, true)),
      partLoop(),
    ];
    // Kill once plenty were acknowledged, while uploads are still streaming in.
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      if (acknowledged.size >= 60 && largeAcked >= 6 && ackedParts.length >= 1 && inFlight >= 6) break;
    }
    server.kill("SIGKILL");
    killed = true;
    await new Promise((r) => server!.once("exit", r));
    await Promise.all(loops);
    assert.ok(existsSync(path.join(dataDir, "blobs", "s3", "tmp")));

    server = await startServer(dataDir, port);
    for (const key of acknowledged) {
      const reply = await request(port, "GET", `/crash/${key}`);
      assert.equal(reply.status, 200, `acknowledged ${key} is readable`);
      assert.equal(sha(reply.body), intended.get(key), `acknowledged ${key} reads back byte-identical`);
    }
    let token = "";
    const listed: string[] = [];
    do {
      const reply = await request(port, "GET", `/crash?list-type=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ""}`);
      const xml = reply.body.toString();
      listed.push(...[...xml.matchAll(/<Key>([^<]+)<\/Key>/g)].map((m) => m[1]));
      token = /<NextContinuationToken>([^<]+)</.exec(xml)?.[1] ?? "";
    } while (token);
    for (const key of listed) {
      // Whatever is listed is whole: acknowledged, or committed just before the kill.
      const reply = await request(port, "GET", `/crash/${key}`);
      assert.equal(sha(reply.body), intended.get(key), `listed ${key} is complete`);
    }
    const parts = await request(port, "GET", `/crash/multipart?uploadId=${encodeURIComponent(ackedParts[0].uploadId)}`);
    const partEtags = [...parts.body.toString().matchAll(/<Part>(.*?)<\/Part>/g)].map((m) => [
      Number(/<PartNumber>(\d+)</.exec(m[1])![1]),
      /<ETag>([^<]+)</.exec(m[1])![1].replace(/&quot;/g, '"'),
    ]);
    for (const acked of ackedParts) assert.ok(partEtags.some(([n, e]) => n === acked.part && e === acked.etag), `acknowledged part ${acked.part} survived`);
    server.kill("SIGTERM");
    await new Promise((r) => server!.once("exit", r));

    // After the start-up clean-up: every blob file is referenced and every reference has its file.
    const db = new Database(path.join(dataDir, "stratus.db"), { readonly: true });
    const referenced = new Set<string>();
    for (const { segments } of db.prepare("SELECT segments FROM s3_versions").all() as Array<{ segments: string }>) {
      for (const s of JSON.parse(segments) as Array<{ r: string }>) if (s.r.startsWith("f:")) referenced.add(s.r.slice(2));
    }
    for (const { blob } of db.prepare("SELECT blob FROM s3_parts").all() as Array<{ blob: string }>) if (blob.startsWith("f:")) referenced.add(blob.slice(2));
    const journal = (db.prepare("SELECT COUNT(*) AS n FROM s3_blob_journal").get() as { n: number }).n;
    db.close();
    const root = path.join(dataDir, "blobs", "s3", "data");
    const files = new Set(readdirSync(root).flatMap((d) => readdirSync(path.join(root, d))));
    assert.deepEqual([...files].filter((f) => !referenced.has(f)), [], "no orphan blob files");
    assert.deepEqual([...referenced].filter((f) => !files.has(f)), [], "no reference without its file");
    assert.deepEqual(readdirSync(path.join(dataDir, "blobs", "s3", "tmp")), [], "no temp files");
    assert.equal(journal, 0);
    assert.ok(files.size >= 7, `large objects and parts live in files (${files.size})`);
  });

  it("deletes, at start-up, files a crash left between their rename and their commit, or after their last reference went", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "stratus-journal-"));
    try {
      let stratus = await startStratus({ port: 0, dataDir: dir, logLevel: "silent" });
      let s3 = stratus.cloud.provider<S3Provider>("s3");
      const root = path.join(dir, "blobs", "s3", "data");
      const files = () => readdirSync(root).flatMap((d) => readdirSync(path.join(root, d)));
      // Written, fsynced and renamed into place, but the row that would reference it never committed.
      const uncommitted = await s3.blobs.write(Readable.from([randomBytes(200_000)]), []);
      assert.equal(uncommitted.size, 200_000);
      // Referenced, then dropped in a committed transaction, but never unlinked (no reap).
      const kept = await s3.blobs.write(Readable.from([randomBytes(300_000)]), []);
      const ref = s3.store.transaction(() => kept.commit());
      s3.store.transaction(() => s3.blobs.drop(ref));
      assert.equal(files().length, 2);
      await stratus.stop();
      stratus = await startStratus({ port: 0, dataDir: dir, logLevel: "silent" });
      s3 = stratus.cloud.provider<S3Provider>("s3");
      assert.deepEqual(files(), []);
      assert.deepEqual(s3.store.journalEntries(), []);
      await stratus.stop();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
