import type { ServiceDefinition } from "../types.js";
import { PricingProvider } from "./provider.js";

export const pricing: ServiceDefinition = {
  name: "pricing",
  signingNames: ["pricing"],
  targetPrefixes: ["AWSPriceListService"],
  validation: "coral",
  createProvider: (cloud) => new PricingProvider(cloud),
};
