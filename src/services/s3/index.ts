import type { ServiceDefinition } from "../types.js";
import { s3Protocol } from "./protocol.js";

export const s3: ServiceDefinition = {
  name: "s3",
  signingNames: ["s3"],
  streamingRequests: true,
  validation: "required",
  // S3's authorizer weighs identity policies with bucket policies and ACLs (s3/access/authorizer.ts).
  identityPolicies: "provider",
  protocolFor: () => s3Protocol,
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).S3Provider(cloud),
};
