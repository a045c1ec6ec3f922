import type { ServiceDefinition } from "../types.js";
import { S3Provider } from "./provider.js";

export const s3: ServiceDefinition = {
  name: "s3",
  signingNames: ["s3"],
  streamingRequests: true,
  validation: "required",
  createProvider: (cloud) => new S3Provider(cloud),
};
