import type { ServiceDefinition } from "../types.js";

export const ec2: ServiceDefinition = {
  name: "ec2",
  signingNames: ["ec2"],
  validation: "required",
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).Ec2Provider(cloud),
};
