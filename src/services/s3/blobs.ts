/**
 * Object bytes. Small blobs (up to INLINE_MAX) are kept in the metadata
 * database and committed in the same transaction as the row that references
 * them. Larger ones stream to a temp file that is fsynced, journalled and
 * renamed into place before the referencing row commits; the journal lets
 * start-up delete whatever a crash left unreferenced (and files whose last
 * reference was dropped but not yet unlinked). A reader keeps a file alive
 * until it finishes, even if its object is deleted meanwhile.
 */
import { crypto } from "../../core/crypto.js";
import { close as closeFile, createReadStream, mkdirSync, open as openFile, read as readFile, readdirSync, rmSync, unlinkSync } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { Readable, Writable, type Transform } from "node:stream";
import { promises as streams } from "node:stream";
import type { S3Store } from "./store.js";
// fs.promises is read at call time: loading node:fs/promises at start-up costs ~10 ms.
import { promises as fsp } from "node:fs";

/** Blobs up to this size live in SQLite. */
export const INLINE_MAX = 64 * 1024;
/**
 * File reads of 256 KiB: each read is a fresh buffer, and buffers of 1 MiB come
 * straight from mmap, paying a page fault per 4 KiB on every read — on a VM
 * that made 64 MiB GETs several times slower. 256 KiB ones are recycled.
 */
const READ_CHUNK = 256 << 10;

/** A blob that was written but is not referenced yet. */
export interface PendingBlob {
  readonly size: number;
  /** Inside the metadata transaction that references it: returns its reference. */
  commit(): string;
  /** Drops a blob that will not be referenced (validation failed, a condition did not hold). */
  discard(): void;
}

/** Bytes gathered before a write is issued, and the most a sink has in flight before it makes its source wait. */
const WRITE_BATCH = 1 << 20;
const MAX_IN_FLIGHT = 8 << 20;
const EARLY_SYNC = 16 << 20;

/**
 * Keeps small bodies in memory; past INLINE_MAX, writes to a temp file in
 * megabyte batches at explicit offsets, several in flight at once, so that
 * receiving never waits for one write to finish.
 */
class BlobSink extends Writable {
  readonly chunks: Buffer[] = [];
  size = 0;
  file: FileHandle | undefined;
  tempPath: string | undefined;
  private opening: Promise<FileHandle> | undefined;
  private buffered = 0;
  private position = 0;
  private inFlight = 0;
  private readonly writes = new Set<Promise<void>>();
  private readonly syncs: Array<Promise<unknown>> = [];
  private failure: Error | undefined;
  private waiting: ((error?: Error | null) => void) | undefined;

  constructor(private readonly blobs: BlobStore) {
    super({ highWaterMark: WRITE_BATCH });
  }

  override _writev(chunks: Array<{ chunk: Buffer }>, callback: (error?: Error | null) => void): void {
    for (const { chunk } of chunks) {
      this.chunks.push(chunk);
      this.size += chunk.length;
      this.buffered += chunk.length;
    }
    if (this.failure) return callback(this.failure);
    if (!this.opening && this.size <= INLINE_MAX) return callback();
    if (this.buffered >= WRITE_BATCH) this.startWrite();
    if (this.inFlight > MAX_IN_FLIGHT) this.waiting = callback;
    else callback();
  }

  private handle(): Promise<FileHandle> {
    if (!this.opening) {
      this.tempPath = this.blobs.tempPath();
      this.opening = fsp.open(this.tempPath, "w").then((file) => (this.file = file));
    }
    return this.opening;
  }

  private startWrite(): void {
    if (this.buffered === 0) return;
    const batch = this.chunks.splice(0);
    const bytes = this.buffered;
    let position = this.position;
    this.position += bytes;
    this.buffered = 0;
    this.inFlight += bytes;
    const syncEarly = Math.floor(this.position / EARLY_SYNC) > Math.floor(position / EARLY_SYNC);
    const write = (async () => {
      const file = await this.handle();
      for (let i = 0; i < batch.length; i += 512) {
        let slice = batch.slice(i, i + 512);
        let length = slice.reduce((n, b) => n + b.length, 0);
        while (length > 0) {
          const { bytesWritten } = await file.writev(slice, position);
          position += bytesWritten;
          length -= bytesWritten;
          if (length > 0) slice = [Buffer.concat(slice).subarray(bytesWritten)];
        }
      }
      // Start writing back what is written so far, so that the final fsync has less left to do.
      if (syncEarly) this.syncs.push(file.datasync().catch(() => undefined));
    })().then(
      () => {
        this.inFlight -= bytes;
        this.writes.delete(write);
        if (this.waiting && this.inFlight <= MAX_IN_FLIGHT) {
          const resume = this.waiting;
          this.waiting = undefined;
          resume();
        }
      },
      (error: Error) => {
        this.writes.delete(write);
        this.failure ??= error;
        const resume = this.waiting;
        this.waiting = undefined;
        resume?.(error);
      },
    );
    this.writes.add(write);
  }

  override _final(callback: (error?: Error | null) => void): void {
    if (!this.opening && this.size <= INLINE_MAX) return callback();
    (async () => {
      this.startWrite();
      while (this.writes.size > 0) await Promise.all([...this.writes]);
      if (this.failure) throw this.failure;
      const file = await this.handle();
      await Promise.all(this.syncs);
      await file.sync();
      await file.close();
      this.file = undefined;
    })().then(() => callback(), callback);
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!error || !this.opening) return callback(error);
    (async () => {
      await Promise.allSettled([...this.writes]);
      const file = await this.opening!.catch(() => undefined);
      await file?.close().catch(() => undefined);
      if (this.tempPath) await fsp.rm(this.tempPath, { force: true });
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
  private readonly unlinking = new Set<Promise<void>>();

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
    // The temp dir holds only files; unlinking them one by one spares loading rimraf at start-up.
    for (const name of safeReaddir(this.tempDir)) {
      try {
        unlinkSync(path.join(this.tempDir, name));
      } catch {
        rmSync(path.join(this.tempDir, name), { recursive: true, force: true });
      }
    }
    this.ensureDirs();
    let removed = 0;
    for (const { blob } of this.store.journalEntries()) {
      await fsp.unlink(this.filePath(blob)).then(() => removed++, () => undefined);
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
    return path.join(this.tempDir, crypto().randomBytes(12).toString("hex"));
  }

  filePath(name: string): string {
    return path.join(this.dataDir, name.slice(0, 2), name);
  }

  /** Streams bytes (already transformed by `transforms`) into a new pending blob. */
  async write(source: Readable, transforms: Transform[]): Promise<PendingBlob> {
    const sink = new BlobSink(this);
    await streams.pipeline([source, ...transforms, sink] as unknown as [Readable, Writable]);
    if (!sink.tempPath) return this.inlinePending(sink.chunks.length === 1 ? sink.chunks[0] : Buffer.concat(sink.chunks));
    const name = crypto().randomBytes(16).toString("hex");
    const dir = path.join(this.dataDir, name.slice(0, 2));
    if (!this.madeDirs.has(dir)) {
      await fsp.mkdir(dir, { recursive: true });
      this.madeDirs.add(dir);
    }
    this.store.journal(name, "writing");
    await fsp.rename(sink.tempPath, this.filePath(name));
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

  private unlinkLater(name: string): Promise<void> {
    const done = (async () => {
      await fsp.unlink(this.filePath(name)).catch(() => undefined);
      try {
        this.store.unjournal(name);
      } catch {
        // The database may be closed already (shutdown); start-up finishes the job.
      }
    })();
    this.unlinking.add(done);
    void done.finally(() => this.unlinking.delete(done));
    return done;
  }

  /** Resolves when the files dropped so far are gone (tests; shutdown). */
  async idle(): Promise<void> {
    while (this.unlinking.size > 0) await Promise.all([...this.unlinking]);
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

  /** Stored bytes [start, end) of a file blob, decrypted on the way by `decrypt`. */
  readDecrypted(ref: string, start: number, end: number, decrypt: (data: Buffer) => Buffer): Readable {
    return new DecryptingRead(this.filePath(ref.slice(2)), start, end, decrypt);
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

/**
 * A file range, decrypted as it is read. Every read goes into the same buffer
 * (decryption writes a new one anyway): a stream that allocated a fresh read
 * buffer per chunk as well doubled the memory a large GET churns through.
 */
class DecryptingRead extends Readable {
  private fd: number | undefined;
  private readonly buffer = Buffer.allocUnsafeSlow(READ_CHUNK);
  private reading = false;
  /** A destroy that waits for the read in flight before it closes the file. */
  private closeAfterRead: (() => void) | undefined;

  constructor(
    private readonly file: string,
    private position: number,
    private readonly end: number,
    private readonly decrypt: (data: Buffer) => Buffer,
  ) {
    super({ highWaterMark: 4 * READ_CHUNK });
  }

  override _construct(callback: (error?: Error | null) => void): void {
    openFile(this.file, "r", (error, fd) => {
      this.fd = fd;
      callback(error);
    });
  }

  override _read(): void {
    const length = Math.min(READ_CHUNK, this.end - this.position);
    if (length <= 0) {
      this.push(null);
      return;
    }
    this.reading = true;
    readFile(this.fd!, this.buffer, 0, length, this.position, (error, bytesRead) => {
      this.reading = false;
      if (this.closeAfterRead) return this.closeAfterRead();
      if (error) return this.destroy(error);
      if (bytesRead === 0) return this.destroy(new Error(`${this.file} ended ${this.end - this.position} bytes early`));
      this.position += bytesRead;
      this.push(this.decrypt(this.buffer.subarray(0, bytesRead)));
    });
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return callback(error);
    const close = () => closeFile(fd, () => callback(error));
    if (this.reading) this.closeAfterRead = close;
    else close();
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
