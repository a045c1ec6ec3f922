/**
 * The model being served, or why there is none. It loads at start; while
 * not loaded it tries again every `retrySeconds`; `reload()` loads now. A
 * failed load leaves no model: what is in S3 is what is served, or nothing.
 */
import { InferenceWorker } from "./inference-worker.js";
import { loadModel, type ModelSource, type ServedModel } from "./model-loader.js";
import type { S3Reader } from "./s3.js";

export class ModelHolder {
  model: ServedModel | undefined;
  error: string | undefined = "not loaded yet";
  readonly worker: InferenceWorker;
  private loading: Promise<void> | undefined;
  private queued: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly s3: S3Reader,
    readonly source: ModelSource,
    private readonly retrySeconds: number,
    private readonly log: (line: string) => void,
  ) {
    this.worker = new InferenceWorker((reason) => {
      this.model = undefined;
      this.error = reason;
      this.log(`model unloaded: ${reason}`);
      this.scheduleRetry();
    });
  }

  get url(): string {
    return `s3://${this.source.bucket}/${this.source.key}`;
  }

  /** Loads the model now; a call during a load waits for it and then loads again (S3 may have changed since it began). */
  reload(): Promise<void> {
    if (!this.loading) return this.loadOnce();
    this.queued ??= this.loading.then(() => {
      this.queued = undefined;
      return this.loadOnce();
    });
    return this.queued;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await this.loading?.catch(() => undefined);
    await this.worker.close();
  }

  private loadOnce(): Promise<void> {
    clearTimeout(this.retryTimer);
    this.loading = (async () => {
      try {
        const model = await loadModel(this.s3, this.worker, this.source);
        if (this.closed) return;
        this.model = model;
        this.error = undefined;
        this.log(`model loaded: ${this.url} version ${model.version}: ${model.description}`);
      } catch (error) {
        if (this.closed) return;
        this.model = undefined;
        this.error = (error as Error).message;
        this.log(`model not loaded: ${this.url}: ${this.error}`);
        this.scheduleRetry();
      } finally {
        this.loading = undefined;
      }
    })();
    return this.loading;
  }

  private scheduleRetry(): void {
    if (this.closed || this.retrySeconds <= 0) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.model && !this.loading) void this.loadOnce();
    }, this.retrySeconds * 1000);
    this.retryTimer.unref();
  }
}
