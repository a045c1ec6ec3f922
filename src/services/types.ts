/** What a service is to the server, and what a provider sees of a request. */
import type { AwsError } from "../core/errors.js";
import type { HttpRequest } from "../protocol/http.js";
import type { Operation } from "../protocol/model.js";
import type { Protocol } from "../protocol/protocol.js";
import type { Violation } from "../protocol/validate.js";
import type { Cloud } from "../cloud.js";

export interface CallContext {
  requestId: string;
  account: string;
  region: string;
  /** Empty for anonymous (unsigned) requests. */
  accessKeyId: string;
  anonymous: boolean;
  /** The caller's ARN (the account root, or an assumed role's session). */
  principalArn: string;
  service: string;
  operation: string;
  request: HttpRequest;
  host: string;
  sourceIp: string;
  secure: boolean;
  cloud: Cloud;
  /** Headers a provider adds to the response beyond the modelled output. */
  responseHeaders: Record<string, string>;
  /** A success status other than the operation's modelled one (S3's 202 for a started RestoreObject). */
  responseStatus?: number;
}

export type OperationHandler = (input: any, ctx: CallContext) => unknown;

/**
 * A provider implements a service's operations as methods named exactly as in
 * the model (PascalCase). Operations it lacks answer NotImplemented by name.
 * Lifecycle hooks are camelCase so they never collide with operation names.
 */
/** A request the server has answered, for providers that log requests (S3 server access logs). */
export interface CompletedRequest {
  requestId: string;
  request: HttpRequest;
  /** Undefined when the request failed before its operation was known. */
  operation?: string;
  input?: Record<string, unknown>;
  account: string;
  principalArn: string;
  anonymous: boolean;
  region: string;
  sourceIp: string;
  status: number;
  /** The AWS error code of a failed request. */
  errorCode?: string;
  /** The response's Content-Length, when it had one. */
  bytesSent?: number;
  /** Milliseconds from receiving the request to writing the response. */
  totalMs: number;
  /** When the request arrived, on Stratus's clock (epoch ms): what it is billed and counted at. */
  receivedAt: number;
  responseHeaders: Record<string, string | string[]>;
}

export interface ServiceProvider {
  readonly cloud: Cloud;
  /** Called after each answered request for this service (must not throw or block). */
  onRequestCompleted?(record: CompletedRequest): void;
  /** Called once at start-up: register scheduler handlers, run recovery. */
  onStart?(): void | Promise<void>;
  /** Called after all state was wiped by a reset. */
  onReset?(): void | Promise<void>;
  onStop?(): void | Promise<void>;
}

export interface ServiceDefinition {
  /** Stratus's name for the service (also the model file name). */
  name: string;
  /** SigV4 signing names that route to this service. */
  signingNames: string[];
  /** X-Amz-Target prefixes / smithy service names (json and cbor protocols). */
  targetPrefixes?: string[];
  /** IAM-like services keep their state in one region whatever the request says. */
  globalRegion?: string;
  /** Don't buffer request bodies before the provider sees them (S3 uploads). */
  streamingRequests?: boolean;
  /** Coral services check lengths, ranges, enums and patterns; others only required members. */
  validation: "coral" | "required" | "none";
  /** Turns validation violations into this service's error. */
  validationError?(violations: Violation[], operation: Operation): AwsError;
  /**
   * Who enforces IAM identity policies for requests by IAM users and role
   * sessions: the handler chain (default, action "<name>:<Operation>"), the
   * provider itself (S3, which knows each request's resource ARN), or nobody (STS).
   */
  identityPolicies?: "chain" | "provider" | "none";
  /** The error a refusal by identity policies takes (default: 403 AccessDeniedException). */
  accessDenied?(message: string): AwsError;
  /** The refusal's message ends with an encoded authorization failure message (EC2's), for sts:DecodeAuthorizationMessage. */
  encodesAuthorizationFailures?: boolean;
  /** Picks the protocol for a request when the service speaks several or has quirks. */
  protocolFor?(request: HttpRequest): Protocol | undefined;
  /** Builds the provider; the real services import their provider's modules here, on first use. */
  createProvider(cloud: Cloud): ServiceProvider | Promise<ServiceProvider>;
  /**
   * Needs no other provider and has no start-up work: served as soon as its own
   * provider is built, before the others have finished loading (STS, IAM).
   */
  standalone?: boolean;
}
