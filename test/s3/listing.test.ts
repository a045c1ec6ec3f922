import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateBucketCommand, ListObjectsCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import type { RunningStratus } from "../../src/index.js";
import type { S3Provider } from "../../src/services/s3/provider.js";
import { compareKeys } from "../../src/services/s3/store.js";
import { startTestStratus } from "../support/stratus.js";
import { rawS3 } from "./raw.js";
import { bucketName, isError, s3Client } from "./support.js";

const KEYS = ["a", "b/1", "b/2", "b/c/3", "b/c/4", "d", "e/", "e/x", "z", "é", "\ufffd", "😀", "a b", "a+b", "a%b"];

/** Writes objects straight through the engine (fast set-up for large buckets). */
function fill(stratus: RunningStratus, bucket: string, keys: string[]): void {
  const s3 = stratus.cloud.provider<S3Provider>("s3");
  for (const key of keys) {
    s3.engine.publish(
      bucket,
      key,
      { owner: "000000000000", storageClass: "STANDARD", metadata: {}, tags: [] },
      { segments: [{ pending: s3.blobs.inlinePending(Buffer.alloc(0)), size: 0, segment: 0 }], size: 0, etag: '"d41d8cd98f00b204e9800998ecf8427e"' },
      { cause: "test" },
    );
  }
}

describe("S3 listings", () => {
  let stratus: RunningStratus;
  let s3: S3Client;
  let bucket: string;
  before(async () => {
    stratus = await startTestStratus();
    s3 = s3Client(stratus);
    bucket = bucketName("list");
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
    for (const key of KEYS) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: key }));
  });
  after(() => stratus.stop());

  it("lists every key in UTF-8 byte order", async () => {
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
    const expected = [...KEYS].sort(compareKeys);
    assert.deepEqual(listed.Contents!.map((o) => o.Key), expected);
    assert.equal(listed.KeyCount, KEYS.length);
    assert.equal(listed.IsTruncated, false);
    // U+FFFD sorts before U+1F600 in UTF-8 (EF BF BD < F0 9F 98 80), unlike in UTF-16.
    assert.ok(expected.indexOf("\ufffd") < expected.indexOf("😀"));
    assert.equal(listed.Contents![0].ETag, '"0cc175b9c0f1b6a831c399e269772661"');
    assert.equal(listed.Contents![0].Size, 1);
    assert.equal(listed.Contents![0].Owner, undefined);
  });

  it("rolls keys up into common prefixes with a delimiter, under a prefix", async () => {
    const top = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/" }));
    assert.deepEqual(top.CommonPrefixes!.map((p) => p.Prefix), ["b/", "e/"]);
    assert.deepEqual(top.Contents!.map((o) => o.Key), ["a", "a b", "a%b", "a+b", "d", "z", "é", "\ufffd", "😀"]);
    const inB = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "b/", Delimiter: "/" }));
    assert.deepEqual(inB.Contents!.map((o) => o.Key), ["b/1", "b/2"]);
    assert.deepEqual(inB.CommonPrefixes!.map((p) => p.Prefix), ["b/c/"]);
    assert.equal(inB.KeyCount, 3);
    const inE = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "e/", Delimiter: "/" }));
    assert.deepEqual(inE.Contents!.map((o) => o.Key), ["e/", "e/x"]);
  });

  it("pages with max-keys and continuation tokens, counting common prefixes as entries", async () => {
    const seen: string[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Delimiter: "/", MaxKeys: 2, ContinuationToken: token }));
      seen.push(...(page.Contents ?? []).map((o) => o.Key!), ...(page.CommonPrefixes ?? []).map((p) => p.Prefix!));
      assert.ok((page.KeyCount ?? 0) <= 2);
      token = page.NextContinuationToken;
      assert.equal(page.IsTruncated, token !== undefined);
      pages++;
    } while (token);
    assert.equal(pages, 6);
    assert.deepEqual(seen.sort(compareKeys), ["a", "a b", "a%b", "a+b", "b/", "d", "e/", "z", "é", "\ufffd", "😀"].sort(compareKeys));
    const after = await s3.send(new ListObjectsV2Command({ Bucket: bucket, StartAfter: "b/2" }));
    assert.deepEqual(after.Contents!.map((o) => o.Key).slice(0, 3), ["b/c/3", "b/c/4", "d"]);
    await assert.rejects(s3.send(new ListObjectsV2Command({ Bucket: bucket, ContinuationToken: "garbage" })), isError("InvalidArgument", 400));
    const owner = await s3.send(new ListObjectsV2Command({ Bucket: bucket, FetchOwner: true, MaxKeys: 1 }));
    assert.match(owner.Contents![0].Owner!.ID!, /^[0-9a-f]{64}$/);
  });

  it("URL-encodes keys and prefixes with encoding-type=url", async () => {
    const raw = await rawS3(stratus, "GET", `/${bucket}`, { query: "list-type=2&encoding-type=url&prefix=a" });
    assert.equal(raw.status, 200);
    assert.match(raw.body, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<ListBucketResult xmlns="http:\/\/s3.amazonaws.com\/doc\/2006-03-01\/">/);
    const keys = [...raw.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]);
    assert.deepEqual(keys, ["a", "a%20b", "a%25b", "a%2Bb"]);
    assert.match(raw.body, /<EncodingType>url<\/EncodingType>/);
  });

  it("supports ListObjects v1 with markers and NextMarker", async () => {
    const first = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: "/", MaxKeys: 5 }));
    assert.equal(first.IsTruncated, true);
    assert.equal(first.NextMarker, "b/");
    assert.match(first.Contents![0].Owner!.ID!, /^[0-9a-f]{64}$/);
    const second = await s3.send(new ListObjectsCommand({ Bucket: bucket, Delimiter: "/", Marker: first.NextMarker }));
    assert.deepEqual(second.Contents!.map((o) => o.Key).slice(0, 2), ["d", "z"]);
    assert.deepEqual(second.CommonPrefixes!.map((p) => p.Prefix), ["e/"]);
    const plain = await s3.send(new ListObjectsCommand({ Bucket: bucket, Marker: "d", MaxKeys: 2 }));
    assert.deepEqual(plain.Contents!.map((o) => o.Key), ["e/", "e/x"]);
    assert.equal(plain.NextMarker, undefined);
  });

  it("reads O(page) rows for a page, whatever the bucket holds", async () => {
    const big = bucketName("big");
    await s3.send(new CreateBucketCommand({ Bucket: big }));
    fill(stratus, big, Array.from({ length: 6000 }, (_, i) => `logs/2026/${String(i).padStart(5, "0")}.json`));
    fill(stratus, big, Array.from({ length: 3000 }, (_, i) => `data/part-${String(i).padStart(5, "0")}`));
    fill(stratus, big, ["models/a.pth", "models/b.pth", "readme"]);
    const store = stratus.cloud.provider<S3Provider>("s3").store;
    const original = store.currentObjects.bind(store);
    let rows = 0;
    store.currentObjects = (...args) => {
      const result = original(...args);
      rows += result.length;
      return result;
    };
    try {
      const measure = async (input: Record<string, unknown>) => {
        rows = 0;
        const page = await s3.send(new ListObjectsV2Command({ Bucket: big, ...input }));
        return { rows, page };
      };
      const top = await measure({ Delimiter: "/" });
      assert.deepEqual(top.page.CommonPrefixes!.map((p) => p.Prefix), ["data/", "logs/", "models/"]);
      assert.deepEqual(top.page.Contents!.map((o) => o.Key), ["readme"]);
      assert.ok(top.rows < 1200, `a delimiter listing of 9,000 keys read ${top.rows} rows`);
      const deep = await measure({ StartAfter: "logs/2026/05000.json", MaxKeys: 10 });
      assert.equal(deep.page.Contents![0].Key, "logs/2026/05001.json");
      assert.ok(deep.rows <= 300, `a 10-key page deep in the bucket read ${deep.rows} rows`);
      const prefixed = await measure({ Prefix: "models/", MaxKeys: 10 });
      assert.equal(prefixed.page.KeyCount, 2);
      assert.ok(prefixed.rows <= 300, `a prefix listing read ${prefixed.rows} rows`);
    } finally {
      store.currentObjects = original;
    }
  });
});
