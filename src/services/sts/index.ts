import type { ServiceDefinition } from "../types.js";
import { StsProvider } from "./provider.js";

export const sts: ServiceDefinition = {
  name: "sts",
  signingNames: ["sts"],
  validation: "coral",
  createProvider: (cloud) => new StsProvider(cloud),
};
