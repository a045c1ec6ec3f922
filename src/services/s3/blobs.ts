/**
 * Object bytes. Small blobs (up to INLINE_MAX) are kept in the metadata
 * database and committed in the same transaction as the row that references
 * them. Larger ones stream to a temp file that is fsynced, journalled and
 * renamed into place before the referencing row commits; the journal lets
 * start-up delete whatever a crash left unreferenced (and files whose last
 * reference was dropped but not yet unlinked). A reader keeps a file alive
 * until it finishes, even if its object is deleted meanwhile.
 */
import { randomBytes } from "node:crypto";
import { createReadStream, mkdirSync, rmSync } from "node:fs";
import { mkdir, open, rename, rm, unlink, type FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable, Writable, type Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { S3Store } from "./store.js";

/** Blobs up to this size live in SQLite. */
export const INLINE_MAX = 64 * 1024;
const READ_CHUNK = 1 << 20;

/** A blob that was written but is not referenced yet. */
export interface PendingBlob {
  readonly size: number;
  /** Inside the metadata transaction that references it: returns its reference. */
  commit(): string;
  /** Drops a blob that will not be referenced (validation failed, a condition did not hold). */
  discard(): void;
}

class BlobSink extends Writable {
  readonly chunks: Buffer[] = [];
  size = 0;
  file: FileHandle | undefined;
  tempPath: string | undefined;

  constructor(private readonly blobs: BlobStore) {
    super({ highWaterMark: READ_CHUNK });
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    for (const { chunk } of chunks) {
      this.chunks.push(chunk);
      this.size += chunk.length;
    }
    if (this.size <= INLINE_MAX && !this.file) return callback();
    this.flush().then(() => callback(), callback);
  }

  private async flush(): Promise<void> {
    if (!this.file) {
      this.tempPath = this.blobs.tempPath();
      this.file = await open(this.tempPath, "w");
    }
    const batch = this.chunks.splice(0);
    let offset = 0;
    while (offset < batch.length) {
      const slice = batch.slice(offset, offset + 512);
      await this.file.writev(slice);
      offset += slice.length;
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.file) return callback();
    (async () => {
      await this.flush();
      await this.file!.sync();
      await this.file!.close();
      this.file = undefined;
    })().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const file = this.file;
    const temp = this.tempPath;
    this.file = undefined;
    if (!error || !temp) return callback(error);
    (async () => {
      await file?.close().catch(() => undefined);
      await rm(temp, { force: true });
    })().then(() => callback(error), () => callback(error));
  }
}

export class BlobStore {
  private readonly dataDir: string;
  private readonly tempDir: string;
  private readonly madeDirs = new Set<string>();
  private readonly readers = new Map<string, number>();
  /** Files whose last reference went while they were being read. */
  private readonly doomed = new Set<string>();

  constructor(
    private readonly store: S3Store,
    readonly root: string,
  ) {
    this.dataDir = path.join(root, "data");
    this.tempDir = path.join(root, "tmp");
    this.ensureDirs();
  }

  private ensureDirs(): void {
    mkdirSync(this.dataDir, { recursive: true });
    mkdirSync(this.tempDir, { recursive: true });
  }

  /** Start-up: drop temp files and every journalled file (unreferenced by construction). */
  async recover(): Promise<number> {
    rmSync(this.tempDir, { recursive: true, force: true });
    this.ensureDirs();
    let removed = 0;
    for (const { blob } of this.store.journalEntries()) {
      await unlink(this.filePath(blob)).then(() => removed++, () => undefined);
      this.store.unjournal(blob);
    }
    return removed;
  }

  /** After a reset wiped the blobs directory. */
  reset(): void {
    this.madeDirs.clear();
    this.readers.clear();
    this.doomed.clear();
    this.ensureDirs();
  }

  tempPath(): string {
    return path.join(this.tempDir, randomBytes(12).toString("hex"));
  }

  filePath(name: string): string {
    return path.join(this.dataDir, name.slice(0, 2), name);
  }

  /** Streams bytes (already transformed by `transforms`) into a new pending blob. */
  async write(source: Readable, transforms: Transform[]): Promise<PendingBlob> {
    const sink = new BlobSink(this);
    await pipeline([source, ...transforms, sink] as unknown as [Readable, Writable]);
    if (!sink.tempPath) return this.inlinePending(sink.chunks.length === 1 ? sink.chunks[0] : Buffer.concat(sink.chunks));
    const name = randomBytes(16).toString("hex");
    const dir = path.join(this.dataDir, name.slice(0, 2));
    if (!this.madeDirs.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    this.store.journal(name, "writing");
    await rename(sink.tempPath, this.filePath(name));
    const size = sink.size;
    return {
      size,
      commit: () => {
        this.store.unjournal(name);
        return "f:" + name;
      },
      discard: () => void this.unlinkLater(name),
    };
  }

  /** A pending blob for bytes already in memory (small objects, empty parts). */
  inlinePending(data: Buffer): PendingBlob {
    return {
      size: data.length,
      commit: () => "i:" + this.store.insertInline(data),
      discard: () => undefined,
    };
  }

  /**
   * Inside the transaction that drops the last reference to `ref`. Inline
   * bytes go with the transaction; files are journalled as dead and unlinked
   * by `reap` once it committed.
   */
  drop(ref: string): string | undefined {
    if (ref.startsWith("i:")) {
      this.store.deleteInline(Number(ref.slice(2)));
      return undefined;
    }
    const name = ref.slice(2);
    this.store.journal(name, "dead");
    return name;
  }

  /** After the dropping transaction committed: unlink the files (or let their last reader do it). */
  reap(names: string[]): void {
    for (const name of names) {
      if ((this.readers.get(name) ?? 0) > 0) this.doomed.add(name);
      else void this.unlinkLater(name);
    }
  }

  private async unlinkLater(name: string): Promise<void> {
    await unlink(this.filePath(name)).catch(() => undefined);
    try {
      this.store.unjournal(name);
    } catch {
      // The database may be closed already (shutdown); start-up finishes the job.
    }
  }

  /** Stored bytes [start, end) of a blob: a Buffer for inline blobs, a stream for files. */
  read(ref: string, start: number, end: number): Buffer | Readable {
    if (ref.startsWith("i:")) {
      const data = this.store.inline(Number(ref.slice(2)));
      if (!data) throw new Error(`inline blob ${ref} is missing`);
      return data.subarray(start, end);
    }
    const name = ref.slice(2);
    if (end <= start) return Buffer.alloc(0);
    return createReadStream(this.filePath(name), { start, end: end - 1, highWaterMark: READ_CHUNK });
  }

  /** Keeps a file from being unlinked while it is read; pair with `unretain`. */
  retain(ref: string): void {
    if (!ref.startsWith("f:")) return;
    const name = ref.slice(2);
    this.readers.set(name, (this.readers.get(name) ?? 0) + 1);
  }

  unretain(ref: string): void {
    if (!ref.startsWith("f:")) return;
    const name = ref.slice(2);
    const left = (this.readers.get(name) ?? 1) - 1;
    if (left > 0) {
      this.readers.set(name, left);
      return;
    }
    this.readers.delete(name);
    if (this.doomed.delete(name)) void this.unlinkLater(name);
  }
}
