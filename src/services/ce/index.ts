import type { ServiceDefinition } from "../types.js";
import { CostExplorerProvider } from "./provider.js";

export const ce: ServiceDefinition = {
  name: "ce",
  signingNames: ["ce"],
  targetPrefixes: ["AWSInsightsIndexService"],
  validation: "coral",
  createProvider: (cloud) => new CostExplorerProvider(cloud),
};
