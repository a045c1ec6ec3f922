import type { ServiceDefinition } from "../types.js";

export const sts: ServiceDefinition = {
  name: "sts",
  signingNames: ["sts"],
  validation: "coral",
  standalone: true,
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).StsProvider(cloud),
};
