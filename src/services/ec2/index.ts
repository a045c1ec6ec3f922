import type { ServiceDefinition } from "../types.js";
import { Ec2Provider } from "./provider.js";

export const ec2: ServiceDefinition = {
  name: "ec2",
  signingNames: ["ec2"],
  validation: "required",
  createProvider: (cloud) => new Ec2Provider(cloud),
};
