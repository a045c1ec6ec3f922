import type { ServiceDefinition } from "../types.js";

export const ce: ServiceDefinition = {
  name: "ce",
  signingNames: ["ce"],
  targetPrefixes: ["AWSInsightsIndexService"],
  validation: "coral",
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).CostExplorerProvider(cloud),
};
