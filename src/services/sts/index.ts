import type { ServiceDefinition } from "../types.js";

export const sts: ServiceDefinition = {
  name: "sts",
  signingNames: ["sts"],
  validation: "coral",
  // GetCallerIdentity needs no permission; AssumeRole is decided by the role's trust policy
  // and the caller's identity policies together (role-access.ts), not by the chain.
  identityPolicies: "none",
  standalone: true,
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).StsProvider(cloud),
};
