import type { ServiceDefinition } from "../types.js";

export const pricing: ServiceDefinition = {
  name: "pricing",
  signingNames: ["pricing"],
  targetPrefixes: ["AWSPriceListService"],
  validation: "coral",
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).PricingProvider(cloud),
};
