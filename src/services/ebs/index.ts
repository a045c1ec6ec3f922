import type { ServiceDefinition } from "../types.js";
import { EbsProvider } from "./provider.js";

export const ebs: ServiceDefinition = {
  name: "ebs",
  signingNames: ["ebs"],
  streamingRequests: true,
  validation: "coral",
  createProvider: (cloud) => new EbsProvider(cloud),
};
