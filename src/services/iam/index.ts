import type { ServiceDefinition } from "../types.js";
import { IamProvider } from "./provider.js";

export const iam: ServiceDefinition = {
  name: "iam",
  signingNames: ["iam"],
  globalRegion: "us-east-1",
  validation: "coral",
  createProvider: (cloud) => new IamProvider(cloud),
};
