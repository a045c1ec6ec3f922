/**
 * S3 is composed of modules, each owning a family of operations. The core's
 * modules come first; extensions (s3x: encryption configuration, policies,
 * lifecycle, replication, CORS...) append theirs to EXTENSIONS. A module may
 * also install hooks on `s3.hooks` when it is created.
 */
import type { S3Operations } from "../../generated/s3.js";
import { S3X_MODULES } from "./ext/index.js";
import type { S3Provider } from "./provider.js";

export type S3Module = Partial<S3Operations> & {
  /** Synthetic operation for CORS preflight (OPTIONS), which the model lacks. */
  PreflightRequest?(input: { Bucket?: string; Key?: string }, ctx: import("../types.js").CallContext): unknown;
  /** Synthetic operation for browser POST uploads (multipart/form-data), which the model lacks. */
  PostObject?(input: import("./post-object.js").PostObjectInput, ctx: import("../types.js").CallContext): unknown;
  /** Synthetic operation for requests to a bucket's website endpoint (protocol.ts WEBSITE). */
  WebsiteRequest?(input: { Bucket: string; Key: string; Method: string }, ctx: import("../types.js").CallContext): unknown;
  /** Each answered S3 request (server access logging); must not throw. */
  onRequestCompleted?(record: import("../types.js").CompletedRequest): void;
  onStart?(): void | Promise<void>;
  onReset?(): void | Promise<void>;
  onStop?(): void | Promise<void>;
};

export type S3ModuleFactory = (s3: S3Provider) => S3Module;

/** Extension modules, in order; an operation an extension implements replaces the core's. */
export const EXTENSIONS: S3ModuleFactory[] = [...S3X_MODULES];
