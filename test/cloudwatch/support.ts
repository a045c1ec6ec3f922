/**
 * CloudWatch test helpers: an SDK v3 client per wire protocol. SDK v3 speaks
 * awsJson 1.0 (query-compatible) by default; its client config takes another
 * protocol class — AwsQueryProtocol for the query form and
 * AwsSmithyRpcV2CborProtocol for smithy-rpc-v2-cbor — which it builds from
 * the client's protocolSettings. Each client records what it sent so a test
 * can prove the protocol really was the one named.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { AwsQueryProtocol, AwsSmithyRpcV2CborProtocol } from "@aws-sdk/core/protocols";
import type { RunningStratus } from "../../src/index.js";
import { sdkConfig } from "../support/stratus.js";

export type WireProtocol = "query" | "json" | "cbor";
export const PROTOCOLS: WireProtocol[] = ["query", "json", "cbor"];

export interface SentRequest {
  path: string;
  headers: Record<string, string>;
}

export interface ProtocolClient {
  client: CloudWatchClient;
  sent: SentRequest[];
}

export function cloudwatchClient(stratus: RunningStratus, protocol: WireProtocol, region = "us-east-1"): ProtocolClient {
  const client = new CloudWatchClient({
    ...sdkConfig(stratus, region),
    ...(protocol === "query" ? { protocol: AwsQueryProtocol } : protocol === "cbor" ? { protocol: AwsSmithyRpcV2CborProtocol } : {}),
  });
  if (protocol === "cbor") {
    // SDK v3 bug: the cbor protocol sets content-length while serializing, and the
    // request-compression middleware that gzips PutMetricData afterwards does not
    // update it, so a compressed request would announce its uncompressed length.
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.request as { body?: unknown; headers: Record<string, string> };
        if (request.headers["content-encoding"] && request.body instanceof Uint8Array) {
          request.headers["content-length"] = String(request.body.byteLength);
        }
        return next(args);
      },
      { step: "build", priority: "low", name: "fixCompressedCborContentLength" },
    );
  }
  const sent: SentRequest[] = [];
  client.middlewareStack.add(
    (next) => async (args) => {
      const request = args.request as { path: string; headers: Record<string, string> };
      sent.push({ path: request.path, headers: { ...request.headers } });
      return next(args);
    },
    { step: "finalizeRequest", name: "recordSentRequest" },
  );
  return { client, sent };
}

/** What a recorded request says about its protocol. */
export function protocolOf(request: SentRequest): WireProtocol | "unknown" {
  const contentType = request.headers["content-type"] ?? "";
  if (request.headers["smithy-protocol"] === "rpc-v2-cbor" && contentType === "application/cbor") return "cbor";
  if (contentType.startsWith("application/x-amz-json-1.0") && request.headers["x-amz-target"]?.startsWith("GraniteServiceVersion20100801.")) return "json";
  if (contentType.startsWith("application/x-www-form-urlencoded")) return "query";
  return "unknown";
}

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Floors a time to a multiple of `ms`. */
export function floorTo(time: number, ms: number): number {
  return Math.floor(time / ms) * ms;
}
