import type { ServiceDefinition } from "../types.js";
import { KmsProvider } from "./provider.js";

export const kms: ServiceDefinition = {
  name: "kms",
  signingNames: ["kms"],
  targetPrefixes: ["TrentService"],
  validation: "coral",
  createProvider: (cloud) => new KmsProvider(cloud),
};
