import type { ServiceDefinition } from "../types.js";
import { s3Protocol } from "./protocol.js";
import { S3Provider } from "./provider.js";

export const s3: ServiceDefinition = {
  name: "s3",
  signingNames: ["s3"],
  streamingRequests: true,
  validation: "required",
  protocolFor: () => s3Protocol,
  createProvider: (cloud) => new S3Provider(cloud),
};
