/**
 * S3: the provider composes the core's modules (buckets, objects, copy,
 * tagging, multipart, listing) with extension modules (modules.ts), and owns
 * what they share: the metadata store, the blob store, the versioned object
 * engine and the hooks.
 */
import path from "node:path";
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import type { CallContext, ServiceProvider } from "../types.js";
import { S3Base } from "./base.js";
import { BlobStore } from "./blobs.js";
import { BucketOperations } from "./buckets.js";
import { CopyOperations } from "./copy.js";
import { ObjectEngine } from "./engine.js";
import { S3Errors } from "./errors.js";
import { defaultHooks, type S3Hooks } from "./hooks.js";
import { ListingOperations } from "./listing.js";
import { EXTENSIONS, type S3Module, type S3ModuleFactory } from "./modules.js";
import { MultipartOperations } from "./multipart.js";
import { ObjectOperations } from "./object-ops.js";
import { TaggingOperations } from "./object-tagging.js";
import { PostObjectOperations } from "./post-object.js";
import { S3Store, type UploadRecord } from "./store.js";

/** CORS preflight until an extension answers it: S3's answer for a bucket without CORS. */
class PreflightDefault extends S3Base {
  PreflightRequest(input: { Bucket?: string }, _ctx: CallContext): never {
    if (!input.Bucket || !this.store.bucket(input.Bucket)) throw S3Errors.noSuchBucket(input.Bucket ?? "");
    throw new AwsError("AccessForbidden", "CORSResponse: CORS is not enabled for this bucket.", { status: 403, fields: { Method: "OPTIONS", ResourceType: "BUCKET" } });
  }
}

export class S3Provider implements ServiceProvider {
  /** Encryption, authorization, events and response extras; extensions replace or extend them. */
  readonly hooks: S3Hooks = defaultHooks();
  readonly store: S3Store;
  readonly blobs: BlobStore;
  /** The versioned object store: what extensions write, read and delete through. */
  readonly engine: ObjectEngine;
  private readonly multipart: MultipartOperations;
  private readonly modules: S3Module[] = [];

  constructor(readonly cloud: Cloud) {
    this.store = new S3Store(cloud.db);
    this.blobs = new BlobStore(this.store, path.join(cloud.blobsDir, "s3"));
    this.engine = new ObjectEngine(cloud, this.store, this.blobs, this.hooks);
    this.multipart = new MultipartOperations(this);
    const core: S3ModuleFactory[] = [
      (s3) => new BucketOperations(s3),
      (s3) => new ObjectOperations(s3),
      (s3) => new CopyOperations(s3),
      (s3) => new TaggingOperations(s3),
      () => this.multipart,
      (s3) => new ListingOperations(s3),
      (s3) => new PostObjectOperations(s3),
      (s3) => new PreflightDefault(s3),
    ];
    for (const factory of [...core, ...EXTENSIONS]) this.modules.push(factory(this));
    for (const module of this.modules) {
      for (const name of operationNames(module)) {
        const handler = (module as Record<string, unknown>)[name] as (...args: unknown[]) => unknown;
        (this as unknown as Record<string, unknown>)[name] = handler.bind(module);
      }
    }
  }

  /** Aborts a multipart upload and drops its parts (lifecycle's AbortIncompleteMultipartUpload). */
  abortUpload(upload: UploadRecord): void {
    this.multipart.abort(upload);
  }

  onRequestCompleted(record: import("../types.js").CompletedRequest): void {
    for (const module of this.modules) {
      try {
        module.onRequestCompleted?.(record);
      } catch (error) {
        this.cloud.log.error(`[${record.requestId}] s3: request completion hook failed`, error);
      }
    }
  }

  async onStart(): Promise<void> {
    const removed = await this.blobs.recover();
    if (removed > 0) this.cloud.log.info(`s3: removed ${removed} unreferenced blob file(s) left by an interrupted run`);
    for (const module of this.modules) await module.onStart?.();
  }

  async onReset(): Promise<void> {
    this.store.clearCache();
    this.blobs.reset();
    for (const module of this.modules) await module.onReset?.();
  }

  async onStop(): Promise<void> {
    this.engine.flush();
    await this.blobs.idle();
    for (const module of this.modules) await module.onStop?.();
  }
}

function operationNames(target: object): string[] {
  const names = new Set<string>();
  for (let proto = target; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto)) {
    for (const name of Object.getOwnPropertyNames(proto)) {
      if (/^[A-Z]/.test(name) && typeof (target as Record<string, unknown>)[name] === "function") names.add(name);
    }
  }
  return [...names];
}
