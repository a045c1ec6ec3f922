import { AwsError } from "../../core/errors.js";
import type { ServiceDefinition } from "../types.js";

export const kms: ServiceDefinition = {
  name: "kms",
  signingNames: ["kms"],
  targetPrefixes: ["TrentService"],
  validation: "coral",
  // KMS weighs identity policies with grants, on each request's key (kms/access.ts).
  identityPolicies: "provider",
  accessDenied: (message) => new AwsError("AccessDeniedException", message, { status: 400 }),
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).KmsProvider(cloud),
};
