/**
 * A stored object (or range) read and decrypted on the byte thread into
 * shared memory. Sent as a response (SEND_TO), each slot goes to the socket
 * as it is and is refilled once the socket has taken it: the event loop
 * allocates nothing per chunk. Read as a stream by anything else (copies,
 * replication), each chunk is a copy and the slot is refilled at once.
 */
import type { ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { SEND_TO } from "../../../protocol/http.js";
import { onlineByteThread, type ByteThread } from "./client.js";
import { READ_SLOT_BYTES, readSlotOffset, type ReadPiece } from "./protocol.js";

type SlotState = "thread" | "writing" | "parked";

export class ThreadedRead extends Readable {
  private readonly id: number;
  /** Where each of this read's slots is; a slot leaves the map when it goes back to the pool. */
  private readonly slots = new Map<number, SlotState>();
  private started = false;
  private threadDone = false;
  private response: ServerResponse | undefined;
  private responseClosed = false;

  /** A read on the byte thread, or undefined when it is not online or has no slots to spare (read on the event loop then). */
  static open(pieces: ReadPiece[]): ThreadedRead | undefined {
    const thread = onlineByteThread();
    const slots = thread?.takeReadSlots();
    return thread && slots ? new ThreadedRead(thread, slots, pieces) : undefined;
  }

  private constructor(
    private readonly thread: ByteThread,
    slots: number[],
    private readonly pieces: ReadPiece[],
  ) {
    super({ highWaterMark: READ_SLOT_BYTES });
    this.id = thread.newId();
    for (const slot of slots) this.slots.set(slot, "thread");
  }

  /** Writes the bytes to `response` straight from shared memory, then ends it. */
  [SEND_TO](response: ServerResponse): void {
    this.response = response;
    // Once the connection is closed nothing reads the slots any more, whether or not every
    // write called back (node drops the callbacks of writes to a socket it is destroying).
    response.once("close", () => {
      this.responseClosed = true;
      for (const [slot, state] of [...this.slots]) if (state === "writing") this.giveBack(slot);
    });
    this.start();
  }

  override _read(): void {
    this.start();
    for (const [slot, state] of this.slots) if (state === "parked") this.refill(slot);
  }

  private start(): void {
    if (this.started) return;
    this.started = true;
    const slots = [...this.slots.keys()];
    this.thread.startRead(this.id, { t: "read", id: this.id, pieces: this.pieces, slots }, {
      chunk: (slot, length) => this.chunk(slot, length),
      ended: (error) => this.ended(error),
    });
  }

  private chunk(slot: number, length: number): void {
    if (this.slots.get(slot) !== "thread") return;
    const bytes = this.thread.bytes.subarray(readSlotOffset(slot), readSlotOffset(slot) + length);
    if (this.destroyed || this.responseClosed) return this.refill(slot);
    if (this.response) {
      this.slots.set(slot, "writing");
      this.response.write(bytes, () => this.refill(slot));
      return;
    }
    if (this.push(Buffer.from(bytes))) this.refill(slot);
    else this.slots.set(slot, "parked");
  }

  /** The slot's bytes are taken: the thread fills it again, or it goes back to the pool. */
  private refill(slot: number): void {
    // A late callback for a slot already given back (see SEND_TO).
    if (!this.slots.has(slot)) return;
    if (this.threadDone || this.destroyed || this.responseClosed) return this.giveBack(slot);
    this.slots.set(slot, "thread");
    this.thread.post({ t: "grant", id: this.id, slot });
  }

  private giveBack(slot: number): void {
    if (!this.slots.delete(slot)) return;
    this.thread.returnReadSlot(slot);
  }

  private ended(error?: string): void {
    this.threadDone = true;
    // Slots the thread held, and parked ones, are free now; slots being written go back once written.
    for (const [slot, state] of [...this.slots]) if (state !== "writing") this.giveBack(slot);
    if (error) {
      this.destroy(new Error(`reading stored bytes: ${error}`));
      return;
    }
    if (this.response) {
      this.response.end();
      this.destroy();
    } else {
      this.push(null);
    }
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.started) {
      for (const slot of [...this.slots.keys()]) this.giveBack(slot);
    } else if (!this.threadDone) {
      // The thread answers with "ended"; the slots it holds come back then.
      this.thread.post({ t: "cancel", id: this.id });
    }
    callback(error);
  }
}
