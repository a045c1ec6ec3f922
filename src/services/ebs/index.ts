import type { ServiceDefinition } from "../types.js";

export const ebs: ServiceDefinition = {
  name: "ebs",
  signingNames: ["ebs"],
  streamingRequests: true,
  validation: "coral",
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).EbsProvider(cloud),
};
