/**
 * The server's side of the inference thread: requests in, promises out. If
 * the thread dies (out of memory, a crash), what it had pending fails, the
 * next request starts a new one, and `onExit` tells the server its model is
 * gone.
 */
import { Worker } from "node:worker_threads";
import { projectPath } from "../core/paths.js";
import type { Normalization } from "./image-input.js";
import type { FromInferenceThread, ToInferenceThread } from "./inference-protocol.js";

/** The compiled thread module: dist/src holds it whether the server runs from there or from the bundle. */
const THREAD_MODULE = projectPath("dist", "src", "workload", "inference-thread.js");

export interface LoadedModel {
  inputSize: number;
  outputs: number;
  description: string;
}

export interface Prediction {
  logits: Float32Array;
  width: number;
  height: number;
}

/** A prediction that failed because the image could not be decoded. */
export class UndecodableImage extends Error {}

type Pending = { resolve: (value: any) => void; reject: (error: Error) => void };

export class InferenceWorker {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;

  constructor(private readonly onExit: (reason: string) => void) {}

  load(file: string): Promise<LoadedModel> {
    return this.send((id) => ({ t: "load", id, file }));
  }

  predict(image: Buffer, normalization: Normalization): Promise<Prediction> {
    const copy = new Uint8Array(image.length);
    copy.set(image);
    return this.send((id) => ({ t: "predict", id, image: copy.buffer, normalization }), [copy.buffer]);
  }

  async close(): Promise<void> {
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker) await worker.terminate();
  }

  private send<T>(message: (id: number) => ToInferenceThread, transfer?: ArrayBuffer[]): Promise<T> {
    if (this.closed) return Promise.reject(new Error("the server is stopping"));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.thread().postMessage(message(id), transfer);
    });
  }

  private thread(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(THREAD_MODULE);
    worker.on("message", (message: FromInferenceThread) => {
      const waiter = this.pending.get(message.id);
      if (!waiter) return;
      this.pending.delete(message.id);
      if (message.t === "loaded") waiter.resolve({ inputSize: message.inputSize, outputs: message.outputs, description: message.description });
      else if (message.t === "predicted") waiter.resolve({ logits: message.logits, width: message.width, height: message.height });
      else waiter.reject(message.image ? new UndecodableImage(message.message) : new Error(message.message));
    });
    let failure = "";
    worker.on("error", (error) => (failure = error.message));
    worker.on("exit", (code) => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const reason = `the inference thread stopped (${failure || `exit code ${code}`})`;
      for (const waiter of this.pending.values()) waiter.reject(new Error(reason));
      this.pending.clear();
      if (!this.closed) this.onExit(reason);
    });
    this.worker = worker;
    return worker;
  }
}
