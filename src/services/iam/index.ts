import { AwsError } from "../../core/errors.js";
import type { ServiceDefinition } from "../types.js";

export const iam: ServiceDefinition = {
  name: "iam",
  signingNames: ["iam"],
  globalRegion: "us-east-1",
  validation: "coral",
  accessDenied: (message) => new AwsError("AccessDenied", message, { status: 403 }),
  standalone: true,
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).IamProvider(cloud),
};
