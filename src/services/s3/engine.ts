/**
 * The versioned object store: taking in bytes, publishing versions under the
 * bucket's versioning rules, reading them back (ranges, decryption), and
 * deleting (versions, null versions, delete markers). Operation modules and
 * extensions (replication, lifecycle) both write through here, so the rules
 * and the object events live in one place.
 */
import { crypto } from "../../core/crypto.js";
import { IncomingMessage } from "node:http";
import { Readable } from "node:stream";
import type { Cloud } from "../../cloud.js";
import { isAwsError } from "../../core/errors.js";
import type { CallContext } from "../types.js";
import { BodyDigest, checkClaims, LocalDigester, type BodyClaims, type BodyFacts, type Measured } from "./body.js";
import { INLINE_MAX, type BlobStore, type PendingBlob } from "./blobs.js";
import { AwsChunkedDecoder } from "./chunked.js";
import { S3Errors } from "./errors.js";
import { byteThread, onlineByteThread } from "./byte-thread/client.js";
import { ThreadDigester } from "./byte-thread/digester.js";
import { ThreadedRead } from "./byte-thread/reader.js";
import type { BucketRecord, ChecksumRecord, EncryptionRecord, ObjectCodec, ObjectVersion, ReplicationStatus, S3Hooks, VersionEvent } from "./hooks.js";
import type { S3Store, Segment, StoredVersion } from "./store.js";

/** Largest single PUT (5 GiB), and largest object (5 TiB). */
export const MAX_PUT_SIZE = 5 * 1024 ** 3;
export const MAX_OBJECT_SIZE = 5 * 1024 ** 4;

/** A segment of new content: bytes just written (pending) or already referenced (multipart parts). */
export interface NewSegment {
  pending?: PendingBlob;
  ref?: string;
  size: number;
  segment: number;
}

export interface NewContent {
  segments: NewSegment[];
  size: number;
  etag: string;
  checksum?: ChecksumRecord;
  partsCount?: number;
}

/** The descriptive attributes of a version about to be written. */
export interface VersionAttributes {
  owner: string;
  storageClass: string;
  contentType?: string;
  contentEncoding?: string;
  contentDisposition?: string;
  contentLanguage?: string;
  cacheControl?: string;
  expires?: string;
  websiteRedirectLocation?: string;
  metadata: Record<string, string>;
  tags: Array<{ Key: string; Value: string }>;
  encryption?: EncryptionRecord;
  replicationStatus?: ReplicationStatus;
  ext?: Record<string, unknown>;
  /** Replicas keep their source's version id (and may keep its time). */
  versionId?: string;
  lastModified?: Date;
}

export interface PublishOptions {
  cause: string;
  ctx?: CallContext;
  /** Runs inside the transaction with the key's current latest version; throw to refuse (conditional writes). */
  check?: (current: StoredVersion | undefined) => void;
  /** Runs inside the transaction before the version is inserted (multipart clean-up). */
  also?: () => void;
}

export interface DeleteResult {
  versionId?: string;
  deleteMarker: boolean;
}

export interface ByteRange {
  start: number;
  /** Exclusive. */
  end: number;
}

const VERSION_ID = /^[A-Za-z0-9._-]{32}$/;

/** Reads a whole (small) stream; a body longer than `limit` is cut short and fails its length check. */
function gather(stream: Readable, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit + 1) {
        cleanup();
        stream.resume();
        resolve(Buffer.concat(chunks));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
    };
    const onError = (error: Error) => {
      cleanup();
      reject(isAwsError(error) ? error : S3Errors.incompleteBody());
    };
    const onAborted = () => onError(S3Errors.incompleteBody());
    const cleanup = () => {
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("error", onError);
      stream.off("aborted", onAborted);
    };
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("error", onError);
    stream.on("aborted", onAborted);
  });
}

export function newVersionId(): string {
  return crypto().randomBytes(24).toString("base64url");
}

export function isValidVersionId(value: string): boolean {
  return value === "null" || VERSION_ID.test(value);
}

interface BatchedWork {
  work: () => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
}

export class ObjectEngine {
  private dead: string[] | undefined;
  private batch: BatchedWork[] = [];
  private batchScheduled = false;

  constructor(
    readonly cloud: Cloud,
    readonly store: S3Store,
    readonly blobs: BlobStore,
    readonly hooks: S3Hooks,
  ) {}

  /** Runs fn in one metadata transaction; files it dropped are unlinked once it committed. */
  transaction<T>(fn: () => T): T {
    if (this.dead) return fn();
    this.dead = [];
    try {
      const result = this.store.transaction(fn);
      const names = this.dead;
      this.dead = undefined;
      this.blobs.reap(names);
      return result;
    } catch (error) {
      this.dead = undefined;
      throw error;
    }
  }

  /**
   * Group commit: runs `work` in a metadata transaction shared with the other
   * writes that arrive in the same turn of the event loop (each in a savepoint
   * of its own, so one failing write does not undo the others). A commit costs
   * far more than the statements in it; concurrent PUTs share one. Resolves
   * once the transaction committed, never before.
   */
  batched<T>(work: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.batch.push({ work, resolve, reject });
      if (!this.batchScheduled) {
        this.batchScheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /** Commits the writes waiting for the group commit (also called at shutdown). */
  flush(): void {
    this.batchScheduled = false;
    const items = this.batch.splice(0);
    if (items.length === 0) return;
    const outcomes: Array<{ ok: boolean; value: unknown }> = [];
    try {
      this.transaction(() => {
        for (const item of items) {
          const mark = this.dead!.length;
          try {
            outcomes.push({ ok: true, value: this.store.sql.transaction(item.work)() });
          } catch (error) {
            this.dead!.length = mark;
            outcomes.push({ ok: false, value: error });
          }
        }
      });
    } catch (error) {
      for (const item of items) item.reject(error);
      return;
    }
    items.forEach((item, i) => (outcomes[i].ok ? item.resolve(outcomes[i].value) : item.reject(outcomes[i].value)));
  }

  /** Inside a transaction: forget the bytes of segments whose last reference is going. */
  dropSegments(segments: Array<{ r: string }>): void {
    for (const segment of segments) {
      const name = this.blobs.drop(segment.r);
      if (name) this.dead!.push(name);
    }
  }

  /** Streams a body into a pending blob, checking every claim about it. */
  async ingest(body: Readable | Buffer, claims: BodyClaims, codec?: ObjectCodec, segment = 0): Promise<{ pending: PendingBlob; facts: BodyFacts }> {
    // The first object written starts the byte thread, so that it is up before the first large body.
    byteThread();
    let pending: PendingBlob;
    let measured: Measured;
    if (claims.length !== undefined && claims.length <= INLINE_MAX) {
      // Small bodies (most requests) skip the stream machinery: gather, hash, encrypt, keep inline.
      const digester = new LocalDigester(claims);
      try {
        const data = Buffer.isBuffer(body) ? body : await gather(body, INLINE_MAX);
        await new Promise<void>((resolve, reject) => digester.push(data, (error) => (error ? reject(error) : resolve())));
        pending = this.blobs.inlinePending(codec ? codec.encryptor(segment)(data) : data);
        measured = await digester.finish();
      } catch (error) {
        if (!Buffer.isBuffer(body) && !body.readableEnded) body.resume();
        throw error;
      }
    } else {
      const thread = onlineByteThread();
      const digester = thread ? new ThreadDigester(thread, claims) : new LocalDigester(claims);
      // A request's chunks are read once, here: once encrypted, the digester may take over their memory.
      const fromRequest = body instanceof IncomingMessage || body instanceof AwsChunkedDecoder;
      const stage = new BodyDigest(digester, codec?.encryptor(segment), fromRequest);
      try {
        const source = Buffer.isBuffer(body) ? Readable.from([body]) : body;
        pending = await this.blobs.write(source, [stage]);
      } catch (error) {
        digester.drop();
        if (!Buffer.isBuffer(body) && !body.readableEnded) body.resume();
        throw error;
      }
      try {
        measured = await digester.finish();
      } catch (error) {
        pending.discard();
        throw error;
      }
    }
    try {
      return { pending, facts: checkClaims(claims, measured, body) };
    } catch (error) {
      pending.discard();
      throw error;
    }
  }

  // --- Writing ---------------------------------------------------------------

  /** Publishes a new version of `key` under the bucket's versioning rules. */
  publish(bucketName: string, key: string, attributes: VersionAttributes, content: NewContent, options: PublishOptions): StoredVersion {
    try {
      return this.transaction(() => {
        const bucket = this.store.bucket(bucketName);
        if (!bucket) throw S3Errors.noSuchBucket(bucketName);
        const current = this.store.latest(bucketName, key);
        options.check?.(current);
        options.also?.();
        let versionId: string;
        // A key without a latest version has no versions at all: nothing to replace or demote.
        if (attributes.versionId !== undefined) {
          versionId = attributes.versionId;
          const existing = current && this.store.version(bucketName, key, versionId);
          if (existing) this.removeVersion(bucket, existing, options.cause, options.ctx);
        } else if (bucket.versioning === "Enabled") {
          versionId = newVersionId();
        } else {
          versionId = "null";
          const existing = current && (current.versionId === "null" ? current : this.store.version(bucketName, key, "null"));
          if (existing) this.removeVersion(bucket, existing, options.cause, options.ctx);
        }
        const segments: Segment[] = content.segments.map((s) => ({ r: s.pending ? s.pending.commit() : s.ref!, n: s.size, s: s.segment }));
        const record: Omit<StoredVersion, "rowId" | "isLatest"> = {
          bucket: bucketName,
          key,
          versionId,
          deleteMarker: false,
          size: content.size,
          etag: content.etag,
          lastModified: attributes.lastModified ?? this.cloud.clock.date(),
          storageClass: attributes.storageClass,
          owner: attributes.owner,
          contentType: attributes.contentType,
          contentEncoding: attributes.contentEncoding,
          contentDisposition: attributes.contentDisposition,
          contentLanguage: attributes.contentLanguage,
          cacheControl: attributes.cacheControl,
          expires: attributes.expires,
          websiteRedirectLocation: attributes.websiteRedirectLocation,
          metadata: attributes.metadata,
          tags: attributes.tags,
          checksum: content.checksum,
          partsCount: content.partsCount,
          encryption: attributes.encryption,
          replicationStatus: attributes.replicationStatus,
          ext: attributes.ext ?? {},
          segments,
        };
        const rowId = this.store.insertVersion(record, current !== undefined);
        const version: StoredVersion = { ...record, rowId, isLatest: true };
        this.emit("versionWritten", { bucket, version, cause: options.cause, ctx: options.ctx });
        return version;
      });
    } catch (error) {
      for (const segment of content.segments) segment.pending?.discard();
      throw error;
    }
  }

  /** Deletes a key (a delete marker when versioned) or one version of it. */
  delete(bucketName: string, key: string, versionId: string | undefined, cause: string, ctx?: CallContext): DeleteResult {
    return this.transaction(() => {
      const bucket = this.store.bucket(bucketName);
      if (!bucket) throw S3Errors.noSuchBucket(bucketName);
      if (versionId !== undefined) {
        const version = this.store.version(bucketName, key, versionId);
        if (!version) return { versionId, deleteMarker: false };
        this.removeVersion(bucket, version, cause, ctx);
        return { versionId, deleteMarker: version.deleteMarker };
      }
      if (!bucket.versioning) {
        const version = this.store.latest(bucketName, key);
        if (version) this.removeVersion(bucket, version, cause, ctx);
        return { deleteMarker: false };
      }
      let markerId: string;
      if (bucket.versioning === "Enabled") markerId = newVersionId();
      else {
        markerId = "null";
        const existing = this.store.version(bucketName, key, "null");
        if (existing) this.removeVersion(bucket, existing, cause, ctx);
      }
      const marker = this.insertDeleteMarker(bucket, key, markerId, ctx?.account ?? bucket.account);
      this.emit("deleteMarkerCreated", { bucket, version: marker, cause, ctx });
      return { versionId: markerId, deleteMarker: true };
    });
  }

  /** Inserts a delete marker as the key's latest version (replicated markers keep their id). */
  insertDeleteMarker(bucket: BucketRecord, key: string, versionId: string, owner: string, lastModified?: Date): StoredVersion {
    const record: Omit<StoredVersion, "rowId" | "isLatest"> = {
      bucket: bucket.name,
      key,
      versionId,
      deleteMarker: true,
      size: 0,
      etag: "",
      lastModified: lastModified ?? this.cloud.clock.date(),
      storageClass: "STANDARD",
      owner,
      metadata: {},
      tags: [],
      ext: {},
      segments: [],
    };
    const rowId = this.store.insertVersion(record);
    return { ...record, rowId, isLatest: true };
  }

  /** Permanently removes one version (object or delete marker); inside a transaction. */
  removeVersion(bucket: BucketRecord, version: StoredVersion, cause: string, ctx?: CallContext): void {
    this.transaction(() => {
      this.emit("versionRemoving", { bucket, version, cause, ctx });
      this.dropSegments(version.segments);
      this.store.removeVersion(version);
      this.emit("versionRemoved", { bucket, version, cause, ctx });
    });
  }

  /** Changes a version's mutable state (tags, storage class, replication status, ext). */
  updateVersion(version: StoredVersion, change: (v: StoredVersion) => void): StoredVersion {
    return this.transaction(() => {
      const fresh = this.store.versionByRowId(version.rowId);
      if (!fresh) throw S3Errors.noSuchVersion(version.key, version.versionId);
      change(fresh);
      this.store.updateVersion(fresh);
      return fresh;
    });
  }

  /** Tells listeners that a version's bytes were read as S3 counts access (GetObject, a copy's source). */
  accessed(bucket: BucketRecord, version: StoredVersion, cause: string, ctx?: CallContext): void {
    this.emit("versionRead", { bucket, version, cause, ctx });
  }

  private emit(kind: "versionRead" | "versionWritten" | "deleteMarkerCreated" | "versionRemoving" | "versionRemoved", event: VersionEvent): void {
    const version = publicVersion(event.version as StoredVersion);
    for (const listener of this.hooks.events) listener[kind]?.({ ...event, version });
  }

  // --- Reading ---------------------------------------------------------------

  /**
   * Plaintext bytes [start, end) of a version. Files stay readable until the
   * stream ends, even if the version is deleted meanwhile.
   */
  read(version: StoredVersion, range: ByteRange | undefined, codec: ObjectCodec | undefined): Readable | Buffer {
    const start = range?.start ?? 0;
    const end = range?.end ?? version.size;
    const pieces: Array<{ ref: string; from: number; to: number; segment: number }> = [];
    let offset = 0;
    for (const segment of version.segments) {
      const segStart = offset;
      const segEnd = offset + segment.n;
      offset = segEnd;
      if (segEnd <= start || segStart >= end) continue;
      pieces.push({ ref: segment.r, from: Math.max(start, segStart) - segStart, to: Math.min(end, segEnd) - segStart, segment: segment.s });
    }
    if (pieces.length === 0) return Buffer.alloc(0);
    // Inline bytes are read now, inside this tick, like the metadata that points at them.
    const stored = pieces.map((piece) => (piece.ref.startsWith("i:") ? (this.blobs.read(piece.ref, piece.from, piece.to) as Buffer) : undefined));
    const plain = (i: number): Buffer => (codec ? codec.decryptor(pieces[i].segment, pieces[i].from)(stored[i]!) : stored[i]!);
    if (end - start <= INLINE_READ_MAX && stored.every((data) => data !== undefined)) {
      // All in the database (small objects): plaintext now, no streams.
      const parts = pieces.map((_, i) => plain(i));
      return parts.length === 1 ? parts[0] : Buffer.concat(parts);
    }
    if (!codec || codec.ctr) {
      // Read (and decrypted) on the byte thread, when it has slots to spare.
      const threaded = ThreadedRead.open(
        pieces.map((piece, i) => ({
          path: stored[i] ? undefined : this.blobs.filePath(piece.ref.slice(2)),
          data: stored[i],
          start: piece.from,
          end: piece.to,
          ctr: codec?.ctr && { ...codec.ctr, segment: piece.segment },
        })),
      );
      if (threaded) {
        const files = pieces.filter((piece) => piece.ref.startsWith("f:")).map((piece) => piece.ref);
        for (const ref of files) this.blobs.retain(ref);
        threaded.once("close", () => files.forEach((ref) => this.blobs.unretain(ref)));
        return threaded;
      }
    }
    const readFile = (piece: (typeof pieces)[number]): Readable =>
      codec
        ? this.blobs.readDecrypted(piece.ref, piece.from, piece.to, codec.decryptor(piece.segment, piece.from))
        : (this.blobs.read(piece.ref, piece.from, piece.to) as Readable);
    if (pieces.length === 1) {
      // One piece (a PUT's object, or a range within one part): the file's stream as it is.
      // (A single database-held piece was answered above: this one is a file.)
      const piece = pieces[0];
      const data = readFile(piece);
      this.blobs.retain(piece.ref);
      data.once("close", () => this.blobs.unretain(piece.ref));
      return data;
    }
    const sources = pieces.map((piece, i) => {
      if (stored[i]) return { piece, data: plain(i) };
      this.blobs.retain(piece.ref);
      return { piece, data: undefined as Buffer | undefined };
    });
    const blobs = this.blobs;
    const held = new Set(sources.flatMap((source, i) => (source.data ? [] : [i])));
    const release = (i: number) => {
      if (held.delete(i)) blobs.unretain(sources[i].piece.ref);
    };
    async function* generate(): AsyncGenerator<Buffer> {
      for (let i = 0; i < sources.length; i++) {
        const { piece, data } = sources[i];
        if (data) yield data;
        else for await (const chunk of readFile(piece)) yield chunk as Buffer;
        release(i);
      }
    }
    const out = Readable.from(generate(), { objectMode: false, highWaterMark: 1 << 20 });
    // However the response ends (done, aborted, never started), the files are let go.
    out.once("close", () => {
      for (const i of [...held]) release(i);
    });
    return out;
  }
}

/** Ranges of database-held bytes up to this size are answered from memory, without streams. */
const INLINE_READ_MAX = 1 << 20;

/** The public view of a stored version (without storage details). */
export function publicVersion(version: StoredVersion): ObjectVersion {
  const { rowId: _rowId, segments: _segments, ...rest } = version;
  return rest;
}
