/**
 * Hashing a large body on the byte thread. MD5 alone costs about 100 ms of
 * CPU per 64 MiB; on the event loop it was the largest part of a large PUT.
 * Here the event loop copies the bytes into shared memory (a few ms per
 * 64 MiB) and goes on. Small bodies stay with LocalDigester: for them the
 * hand-off would cost more than the hash.
 */
import type { BodyClaims, Digester, Measured } from "../body.js";
import { S3Errors } from "../errors.js";
import { byteThread } from "./client.js";
import { HASH_SLOT_BYTES, hashSlotOffset } from "./protocol.js";

export class ThreadDigester implements Digester {
  size = 0;
  private readonly thread = byteThread();
  private readonly id = this.thread.newId();
  /** The slot being filled, and how far. */
  private slot: number | undefined;
  private filled = 0;

  constructor(readonly claims: BodyClaims) {
    this.thread.post({ t: "hash", id: this.id, sha256: claims.sha256 !== undefined, checksum: claims.checksumAlgorithm });
  }

  push(chunk: Buffer, next: (error?: Error) => void): void {
    this.size += chunk.length;
    if (this.size > this.claims.maxSize) return next(S3Errors.entityTooLarge(this.size, this.claims.maxSize));
    this.copy(chunk, 0, next);
  }

  private copy(chunk: Buffer, from: number, next: (error?: Error) => void): void {
    while (from < chunk.length) {
      if (this.thread.failed) return next(this.thread.failed);
      if (this.slot === undefined) {
        const slot = this.thread.takeHashSlot();
        // Every slot is being hashed: the body waits (and so does its sender).
        if (slot === undefined) return this.thread.whenHashSlotFree(() => this.copy(chunk, from, next));
        this.slot = slot;
        this.filled = 0;
      }
      const length = Math.min(HASH_SLOT_BYTES - this.filled, chunk.length - from);
      chunk.copy(this.thread.bytes, hashSlotOffset(this.slot) + this.filled, from, from + length);
      this.filled += length;
      from += length;
      if (this.filled === HASH_SLOT_BYTES) this.handOver();
    }
    next();
  }

  private handOver(): void {
    if (this.slot === undefined) return;
    this.thread.post({ t: "data", id: this.id, slot: this.slot, length: this.filled });
    this.slot = undefined;
  }

  async finish(): Promise<Measured> {
    this.handOver();
    return { size: this.size, ...(await this.thread.digest(this.id)) };
  }

  drop(): void {
    if (this.slot !== undefined) this.thread.returnHashSlot(this.slot);
    this.slot = undefined;
    this.thread.post({ t: "drop", id: this.id });
  }
}
