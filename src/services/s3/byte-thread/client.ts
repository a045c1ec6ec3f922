/**
 * The event loop's side of the byte thread (thread.ts): one per process,
 * started on first use and again if it ever failed after coming online; it
 * never keeps the process alive. Owns the shared memory and hands out its
 * slots. Work goes to the thread only once it is online: until then, and for
 * good if it never comes online (its module missing or broken), large bodies
 * are hashed and read on the event loop as small ones are.
 */
import { createRequire } from "node:module";
import type { Worker } from "node:worker_threads";
import { projectPath } from "../../../core/paths.js";
import type { Measured } from "../body.js";
import { MEMORY_BYTES, READ_SLOTS, SLOTS_PER_READ, type FromThread, type ToThread } from "./protocol.js";

/** The compiled thread module: dist/src holds it whether Stratus runs from there or from the bundle. */
let threadModule = projectPath("dist", "src", "services", "s3", "byte-thread", "thread.js");

/** A body being hashed: told as the thread catches up with it. */
export interface HashListener {
  hashed(bytes: number): void;
  /** The thread failed (`failed` says why). */
  failed(): void;
}

export interface ReadListener {
  chunk(slot: number, length: number): void;
  ended(error?: string): void;
}

export class ByteThread {
  readonly memory = new SharedArrayBuffer(MEMORY_BYTES);
  /** The shared memory as a Buffer, to take views of. */
  readonly bytes = Buffer.from(this.memory);
  failed: Error | undefined;
  /** Whether the thread has loaded and said so. */
  online = false;
  private readonly onlineWaiters: Array<(online: boolean) => void> = [];
  private readonly worker: Worker;
  private readonly hashing = new Map<number, HashListener>();
  private readonly digesting = new Map<number, { resolve: (measured: Omit<Measured, "size">) => void; reject: (error: Error) => void }>();
  private readonly freeReadSlots = Array.from({ length: READ_SLOTS }, (_, i) => i);
  private readonly reading = new Map<number, ReadListener>();
  private nextId = 1;

  constructor() {
    const { Worker } = createRequire(import.meta.url)("node:worker_threads") as typeof import("node:worker_threads");
    this.worker = new Worker(threadModule);
    this.worker.on("message", (message: FromThread) => this.receive(message));
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`the byte thread exited (${code})`)));
    // After the listeners: adding a "message" listener refs the thread's port again.
    this.worker.unref();
    this.post({ t: "memory", memory: this.memory });
  }

  /** Resolves true once the thread is online, false if it fails first. */
  whenOnline(): Promise<boolean> {
    if (this.online || this.failed) return Promise.resolve(this.online && !this.failed);
    return new Promise((resolve) => this.onlineWaiters.push(resolve));
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    if (!this.online) {
      unavailable = error;
      process.emitWarning(`the S3 byte thread did not start (${error.message}); large bodies are hashed and read on the event loop`);
    }
    for (const resolve of this.onlineWaiters.splice(0)) resolve(false);
    for (const { reject } of this.digesting.values()) reject(error);
    this.digesting.clear();
    for (const body of this.hashing.values()) body.failed();
    this.hashing.clear();
    for (const listener of this.reading.values()) listener.ended(error.message);
    this.reading.clear();
  }

  post(message: ToThread, transfer?: ArrayBuffer[]): void {
    if (!this.failed) this.worker.postMessage(message, transfer);
  }

  newId(): number {
    return this.nextId++;
  }

  // --- Hashing ---------------------------------------------------------------

  /** Starts hashing a body. */
  hash(message: Extract<ToThread, { t: "hash" }>, listener: HashListener): void {
    this.hashing.set(message.id, listener);
    this.post(message);
  }

  /** Hands a body's next bytes over: the buffers become the thread's. */
  hashData(id: number, buffers: ArrayBuffer[], lengths: number[]): void {
    if (this.hashing.has(id)) this.post({ t: "data", id, buffers, lengths }, buffers);
  }

  /** Forgets a body. */
  dropHash(id: number): void {
    this.hashing.delete(id);
    this.post({ t: "drop", id });
  }

  /** Bodies the thread is hashing (tests: abandoned bodies are forgotten). */
  get hashingCount(): number {
    return this.hashing.size;
  }

  digest(id: number): Promise<Omit<Measured, "size">> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.digesting.set(id, { resolve, reject });
      this.post({ t: "digest", id });
    });
  }

  // --- Reading ---------------------------------------------------------------

  /** Read slots for one read, or undefined when too many reads hold theirs (the caller reads on the event loop). */
  takeReadSlots(): number[] | undefined {
    if (this.failed || this.freeReadSlots.length < SLOTS_PER_READ) return undefined;
    return this.freeReadSlots.splice(-SLOTS_PER_READ);
  }

  /** Read slots no read holds (tests: every read gives its slots back). */
  get freeReadSlotCount(): number {
    return this.freeReadSlots.length;
  }

  returnReadSlot(slot: number): void {
    if (!this.failed) this.freeReadSlots.push(slot);
  }

  startRead(id: number, message: Extract<ToThread, { t: "read" }>, listener: ReadListener): void {
    this.reading.set(id, listener);
    this.post(message);
  }

  private receive(message: FromThread): void {
    switch (message.t) {
      case "ready":
        this.online = true;
        for (const resolve of this.onlineWaiters.splice(0)) resolve(true);
        return;
      case "hashed":
        return this.hashing.get(message.id)?.hashed(message.bytes);
      case "digested": {
        const waiter = this.digesting.get(message.id);
        this.digesting.delete(message.id);
        this.hashing.delete(message.id);
        waiter?.resolve({ md5Hex: message.md5Hex, sha256Hex: message.sha256Hex, checksum: message.checksum });
        return;
      }
      case "chunk":
        return this.reading.get(message.id)?.chunk(message.slot, message.length);
      case "ended": {
        const listener = this.reading.get(message.id);
        this.reading.delete(message.id);
        return listener?.ended(message.error);
      }
    }
  }
}

let thread: ByteThread | undefined;
/** Why the thread never came online, once it did not: it is not tried again. */
let unavailable: Error | undefined;

/** The byte thread, started if it is not running (tests use it to look at its slots). */
export function byteThread(): ByteThread {
  if (!thread || (thread.failed && !unavailable)) thread = new ByteThread();
  return thread;
}

/** The byte thread if it is online; otherwise starts it (unless it cannot start) and answers undefined. */
export function onlineByteThread(): ByteThread | undefined {
  if (unavailable) return undefined;
  const current = byteThread();
  return current.online && !current.failed ? current : undefined;
}

/** Starts the thread; resolves whether it came online. */
export function byteThreadOnline(): Promise<boolean> {
  return unavailable ? Promise.resolve(false) : byteThread().whenOnline();
}

/** Runs the thread from another module (tests: one that is missing or fails to load). */
export function useByteThreadModule(file: string): void {
  threadModule = file;
}
