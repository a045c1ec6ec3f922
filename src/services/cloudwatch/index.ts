import { AwsError } from "../../core/errors.js";
import { PROTOCOLS } from "../../protocol/registry.js";
import type { ServiceDefinition } from "../types.js";

/** CloudWatch speaks query (aws CLI v2.9), json (CLI v1, SDK v3) and smithy-rpc-v2-cbor. */
export const cloudwatch: ServiceDefinition = {
  name: "cloudwatch",
  signingNames: ["monitoring"],
  targetPrefixes: ["GraniteServiceVersion20100801"],
  validation: "coral",
  accessDenied: (message) => new AwsError("AccessDenied", message, { status: 403 }),
  protocolFor(request) {
    if ((request.headers["smithy-protocol"] ?? "").toLowerCase() === "rpc-v2-cbor") return PROTOCOLS["smithy-rpc-v2-cbor"];
    if (request.headers["x-amz-target"]) return PROTOCOLS.json;
    return PROTOCOLS.query;
  },
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).CloudWatchProvider(cloud),
};
