import type { ServiceDefinition } from "../types.js";
import { DlmProvider } from "./provider.js";

export const dlm: ServiceDefinition = {
  name: "dlm",
  signingNames: ["dlm"],
  validation: "coral",
  createProvider: (cloud) => new DlmProvider(cloud),
};
