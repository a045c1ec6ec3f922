/**
 * The byte thread: what costs CPU per byte of a large body runs here, on
 * another core, while the event loop goes on with requests. It hashes request
 * bodies (MD5 for the ETag, SHA-256 of a signed payload, the flexible
 * checksum), and reads stored objects for GETs, decrypting them, into shared
 * memory the event loop writes to the socket from. The event loop hands a
 * request body's buffers over rather than copying them, and allocates nothing
 * per chunk of a GET: what garbage the bytes leave is this thread's, and its
 * small heap is collected every few MiB.
 */
import type { Hash } from "node:crypto";
import { closeSync, openSync, readSync } from "node:fs";
import { parentPort } from "node:worker_threads";
import { crypto } from "../../../core/crypto.js";
import { YoungCollector } from "../../../core/young-gc.js";
import { checksummer, type Checksummer } from "../checksums.js";
import { ctrCipher } from "../encryption/codec.js";
import { READ_SLOT_BYTES, readSlotOffset, type FromThread, type ReadPiece, type ToThread } from "./protocol.js";

interface Body {
  md5: Hash;
  sha256?: Hash;
  sum?: Checksummer;
}

interface Read {
  pieces: ReadPiece[];
  index: number;
  position: number;
  fd?: number;
  decrypt?: (data: Buffer) => Buffer;
  granted: number[];
}

const port = parentPort!;
const bodies = new Map<number, Body>();
const reads = new Map<number, Read>();
let memory: Buffer = Buffer.alloc(0);
const DECRYPT_STEP = 64 << 10;
/** Ciphertext is read here, and decrypted into the slot. */
const scratch = Buffer.allocUnsafeSlow(READ_SLOT_BYTES);

/** The thread's garbage is bodies' bytes: taken-over buffers once hashed, cipher output once copied into a slot. */
const young = new YoungCollector(4 << 20);
const discarded = (bytes: number) => young.discarded(bytes);

const post = (message: FromThread) => port.postMessage(message);
const buffer = (bytes: Uint8Array) => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);

port.on("message", (message: ToThread) => {
  switch (message.t) {
    case "memory":
      memory = Buffer.from(message.memory);
      break;
    case "hash":
      bodies.set(message.id, {
        md5: crypto().createHash("md5"),
        sha256: message.sha256 ? crypto().createHash("sha256") : undefined,
        sum: message.checksum ? checksummer(message.checksum) : undefined,
      });
      break;
    case "data": {
      // The buffers are this thread's now: hashed, they are garbage.
      const body = bodies.get(message.id);
      let bytes = 0;
      for (let i = 0; i < message.buffers.length; i++) {
        const view = Buffer.from(message.buffers[i], 0, message.lengths[i]);
        body?.md5.update(view);
        body?.sha256?.update(view);
        body?.sum?.update(view);
        bytes += view.length;
      }
      post({ t: "hashed", id: message.id, bytes });
      discarded(bytes);
      break;
    }
    case "digest": {
      const body = bodies.get(message.id)!;
      bodies.delete(message.id);
      post({ t: "digested", id: message.id, md5Hex: body.md5.digest("hex"), sha256Hex: body.sha256?.digest("hex"), checksum: body.sum?.digest() });
      break;
    }
    case "drop":
      bodies.delete(message.id);
      break;
    case "read":
      reads.set(message.id, { pieces: message.pieces, index: 0, position: message.pieces[0]?.start ?? 0, granted: [...message.slots] });
      fill(message.id);
      break;
    case "grant": {
      const read = reads.get(message.id);
      if (!read) break;
      read.granted.push(message.slot);
      fill(message.id);
      break;
    }
    case "cancel":
      end(message.id);
      break;
  }
});

post({ t: "ready" });

/** Fills the slots a read was granted, in order, and ends it after its last byte. */
function fill(id: number): void {
  const read = reads.get(id)!;
  try {
    for (;;) {
      // Past the end of a piece: on to the next (and after the last, the read is over).
      while (read.index < read.pieces.length && read.position >= read.pieces[read.index].end) {
        closeFile(read);
        read.decrypt = undefined;
        read.index++;
        read.position = read.pieces[read.index]?.start ?? 0;
      }
      if (read.index >= read.pieces.length) return end(id);
      if (read.granted.length === 0) return;
      const piece = read.pieces[read.index];
      if (piece.ctr && !read.decrypt) {
        const cipher = ctrCipher(buffer(piece.ctr.key), buffer(piece.ctr.nonce), piece.ctr.segment, piece.start);
        read.decrypt = (data) => cipher.update(data);
      }
      const slot = read.granted.shift()!;
      const target = memory.subarray(readSlotOffset(slot), readSlotOffset(slot) + READ_SLOT_BYTES);
      const wanted = Math.min(READ_SLOT_BYTES, piece.end - read.position);
      // Ciphertext goes to scratch first; plaintext is read straight into the slot.
      const into = read.decrypt ? scratch : target;
      let length: number;
      if (piece.data) {
        length = buffer(piece.data).copy(into, 0, read.position - piece.start, read.position - piece.start + wanted);
      } else {
        read.fd ??= openSync(piece.path!, "r");
        length = readSync(read.fd, into, 0, wanted, read.position);
        if (length === 0) throw new Error(`${piece.path} ended ${piece.end - read.position} bytes early`);
      }
      // In steps of 64 KiB: each step's output is a new buffer, and buffers that size are recycled by malloc.
      if (read.decrypt) {
        for (let at = 0; at < length; at += DECRYPT_STEP) read.decrypt(scratch.subarray(at, Math.min(length, at + DECRYPT_STEP))).copy(target, at);
        discarded(length);
      }
      read.position += length;
      post({ t: "chunk", id, slot, length });
    }
  } catch (error) {
    end(id, (error as Error).message);
  }
}

function closeFile(read: Read): void {
  if (read.fd === undefined) return;
  closeSync(read.fd);
  read.fd = undefined;
}

function end(id: number, error?: string): void {
  const read = reads.get(id);
  if (!read) return;
  reads.delete(id);
  try {
    closeFile(read);
  } catch {
    // Nothing more to read from it anyway.
  }
  post({ t: "ended", id, error });
}
