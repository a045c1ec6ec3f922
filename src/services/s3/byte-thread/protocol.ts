/** Messages between the event loop and the byte thread, and the shared memory's layout. */
import type { ChecksumAlgorithm } from "../checksums.js";

/** Hashing: a body's bytes go to the thread (ownership, not copies) in batches of about this size. */
export const HASH_BATCH_BYTES = 1 << 20;
/** The most of one body's bytes handed over and not hashed yet: past it, the body waits (and so does its sender). */
export const HASH_AHEAD_BYTES = 4 << 20;
/** Reading: each read holds a few slots, refilled as the client takes them. */
export const READ_SLOT_BYTES = 1 << 20;
export const READ_SLOTS = 16;
export const SLOTS_PER_READ = 4;
export const MEMORY_BYTES = READ_SLOT_BYTES * READ_SLOTS;

export const readSlotOffset = (slot: number) => slot * READ_SLOT_BYTES;

/** Stored bytes [start, end) of one segment: a file's, or (small) bytes given along; decrypted with AES-256-CTR when `ctr` is set. */
export interface ReadPiece {
  path?: string;
  data?: Uint8Array;
  start: number;
  end: number;
  ctr?: { key: Uint8Array; nonce: Uint8Array; segment: number };
}

export type ToThread =
  | { t: "memory"; memory: SharedArrayBuffer }
  | { t: "hash"; id: number; sha256: boolean; checksum?: ChecksumAlgorithm }
  /** Bytes to hash, in order: the buffers are transferred, the thread owns them. */
  | { t: "data"; id: number; buffers: ArrayBuffer[]; lengths: number[] }
  | { t: "digest"; id: number }
  | { t: "drop"; id: number }
  | { t: "read"; id: number; pieces: ReadPiece[]; slots: number[] }
  /** A read slot the client has taken: fill it again. */
  | { t: "grant"; id: number; slot: number }
  | { t: "cancel"; id: number };

export type FromThread =
  /** The thread has loaded and listens. */
  | { t: "ready" }
  /** More of a body's bytes are hashed (it may hand over more). */
  | { t: "hashed"; id: number; bytes: number }
  | { t: "digested"; id: number; md5Hex: string; sha256Hex?: string; checksum?: string }
  | { t: "chunk"; id: number; slot: number; length: number }
  /** A read finished (done, failed or cancelled): the slots it still held are the client's again. */
  | { t: "ended"; id: number; error?: string };
