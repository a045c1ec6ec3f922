import { AwsError } from "../../core/errors.js";
import type { ServiceDefinition } from "../types.js";

export const ec2: ServiceDefinition = {
  name: "ec2",
  signingNames: ["ec2"],
  validation: "required",
  accessDenied: (message) => new AwsError("UnauthorizedOperation", `You are not authorized to perform this operation. ${message}`, { status: 403 }),
  encodesAuthorizationFailures: true,
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).Ec2Provider(cloud),
};
