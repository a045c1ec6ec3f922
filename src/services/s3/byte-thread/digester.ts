/**
 * Hashing a large body on the byte thread. MD5 alone costs about 100 ms of
 * CPU per 64 MiB; on the event loop it was the largest part of a large PUT.
 * The thread takes the bytes over rather than copies of them: a chunk nothing
 * reads after hashing (a request's plaintext, once encrypted) moves to the
 * thread whole, in batches of about 1 MiB, and becomes the thread's garbage,
 * which its small heap collects at once (thread.ts). Other chunks are copied
 * into batch buffers that move the same way. Small bodies stay with
 * LocalDigester: for them the hand-off would cost more than the hash.
 */
import type { BodyClaims, Digester, Measured } from "../body.js";
import { S3Errors } from "../errors.js";
import type { ByteThread, HashListener } from "./client.js";
import { HASH_AHEAD_BYTES, HASH_BATCH_BYTES } from "./protocol.js";

export class ThreadDigester implements Digester, HashListener {
  size = 0;
  private readonly id: number;
  /** The batch being gathered: whole buffers and how much of each holds the body. */
  private buffers: ArrayBuffer[] = [];
  private lengths: number[] = [];
  private batched = 0;
  /** A buffer chunks are copied into, and how far it is filled. */
  private copy: Buffer | undefined;
  private copied = 0;
  /** Bytes handed over and not yet hashed; who waits for the thread to catch up (or fail). */
  private ahead = 0;
  private waiting: (() => void) | undefined;

  constructor(
    private readonly thread: ByteThread,
    readonly claims: BodyClaims,
  ) {
    this.id = thread.newId();
    thread.hash({ t: "hash", id: this.id, sha256: claims.sha256 !== undefined, checksum: claims.checksumAlgorithm }, this);
  }

  push(chunk: Buffer, next: (error?: Error) => void, spare = false): void {
    if (this.thread.failed) return next(this.thread.failed);
    this.size += chunk.length;
    if (this.size > this.claims.maxSize) return next(S3Errors.entityTooLarge(this.size, this.claims.maxSize));
    if (spare && ownsItsMemory(chunk)) {
      this.closeCopy();
      this.add(chunk.buffer as ArrayBuffer, chunk.length);
    } else {
      for (let from = 0; from < chunk.length; ) {
        this.copy ??= Buffer.allocUnsafeSlow(HASH_BATCH_BYTES);
        const n = chunk.copy(this.copy, this.copied, from);
        this.copied += n;
        from += n;
        if (this.copied === this.copy.length) this.closeCopy();
      }
    }
    if (this.batched >= HASH_BATCH_BYTES) this.send();
    if (this.ahead <= HASH_AHEAD_BYTES) return next();
    // The thread is behind: the body waits (and so does its sender).
    this.waiting = () => next(this.thread.failed);
  }

  hashed(bytes: number): void {
    this.ahead -= bytes;
    if (this.ahead <= HASH_AHEAD_BYTES) this.wake();
  }

  failed(): void {
    this.wake();
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.();
  }

  private add(buffer: ArrayBuffer, length: number): void {
    this.buffers.push(buffer);
    this.lengths.push(length);
    this.batched += length;
  }

  private closeCopy(): void {
    if (!this.copy || this.copied === 0) return;
    this.add(this.copy.buffer as ArrayBuffer, this.copied);
    this.copy = undefined;
    this.copied = 0;
  }

  private send(): void {
    this.closeCopy();
    if (this.buffers.length === 0) return;
    this.ahead += this.batched;
    this.thread.hashData(this.id, this.buffers, this.lengths);
    this.buffers = [];
    this.lengths = [];
    this.batched = 0;
  }

  async finish(): Promise<Measured> {
    this.send();
    // The thread takes messages in order: the digest follows the last bytes.
    return { size: this.size, ...(await this.thread.digest(this.id)) };
  }

  drop(): void {
    this.buffers = [];
    this.lengths = [];
    this.copy = undefined;
    this.thread.dropHash(this.id);
  }
}

/** Whether a chunk is the only view of its memory, so that the memory can move to another thread. */
function ownsItsMemory(chunk: Buffer): boolean {
  return chunk.byteOffset === 0 && chunk.buffer.byteLength === chunk.length && !(chunk.buffer instanceof SharedArrayBuffer);
}
