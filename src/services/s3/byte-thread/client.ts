/**
 * The event loop's side of the byte thread (thread.ts): one per process,
 * started on first use and again if it ever failed; it never keeps the
 * process alive. Owns the shared memory and hands out its slots.
 */
import { createRequire } from "node:module";
import type { Worker } from "node:worker_threads";
import { projectPath } from "../../../core/paths.js";
import type { Measured } from "../body.js";
import { HASH_SLOTS, MEMORY_BYTES, READ_SLOTS, SLOTS_PER_READ, type FromThread, type ToThread } from "./protocol.js";

/** The compiled thread module: dist/src holds it whether Stratus runs from there or from the bundle. */
const THREAD_MODULE = projectPath("dist", "src", "services", "s3", "byte-thread", "thread.js");

export interface ReadListener {
  chunk(slot: number, length: number): void;
  ended(error?: string): void;
}

export class ByteThread {
  readonly memory = new SharedArrayBuffer(MEMORY_BYTES);
  /** The shared memory as a Buffer, to copy into and to take views of. */
  readonly bytes = Buffer.from(this.memory);
  failed: Error | undefined;
  private readonly worker: Worker;
  private readonly freeHashSlots = Array.from({ length: HASH_SLOTS }, (_, i) => i);
  private readonly hashSlotWaiters: Array<() => void> = [];
  private readonly digesting = new Map<number, { resolve: (measured: Omit<Measured, "size">) => void; reject: (error: Error) => void }>();
  private readonly freeReadSlots = Array.from({ length: READ_SLOTS }, (_, i) => i);
  private readonly reading = new Map<number, ReadListener>();
  private nextId = 1;

  constructor() {
    const { Worker } = createRequire(import.meta.url)("node:worker_threads") as typeof import("node:worker_threads");
    this.worker = new Worker(THREAD_MODULE);
    this.worker.on("message", (message: FromThread) => this.receive(message));
    this.worker.on("error", (error) => this.fail(error));
    this.worker.on("exit", (code) => this.fail(new Error(`the byte thread exited (${code})`)));
    // After the listeners: adding a "message" listener refs the thread's port again.
    this.worker.unref();
    this.post({ t: "memory", memory: this.memory });
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = error;
    for (const { reject } of this.digesting.values()) reject(error);
    this.digesting.clear();
    // Bodies waiting for a slot wake up to fail.
    for (const wake of this.hashSlotWaiters.splice(0)) wake();
    for (const listener of this.reading.values()) listener.ended(error.message);
    this.reading.clear();
  }

  post(message: ToThread): void {
    if (!this.failed) this.worker.postMessage(message);
  }

  newId(): number {
    return this.nextId++;
  }

  // --- Hashing ---------------------------------------------------------------

  /** A free hashing slot, or undefined: then `whenHashSlotFree` calls back once one may be. */
  takeHashSlot(): number | undefined {
    return this.freeHashSlots.pop();
  }

  whenHashSlotFree(wake: () => void): void {
    if (this.failed) wake();
    else this.hashSlotWaiters.push(wake);
  }

  returnHashSlot(slot: number): void {
    if (this.failed) return;
    this.freeHashSlots.push(slot);
    this.hashSlotWaiters.shift()?.();
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

  /** Hashing slots no body holds (tests: every body gives its slots back). */
  get freeHashSlotCount(): number {
    return this.freeHashSlots.length;
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
      case "free":
        return this.returnHashSlot(message.slot);
      case "digested": {
        const waiter = this.digesting.get(message.id);
        this.digesting.delete(message.id);
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

export function byteThread(): ByteThread {
  if (!thread || thread.failed) thread = new ByteThread();
  return thread;
}
