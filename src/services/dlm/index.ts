import { AwsError } from "../../core/errors.js";
import { coralMessage } from "../../protocol/validate.js";
import type { ServiceDefinition } from "../types.js";

export const dlm: ServiceDefinition = {
  name: "dlm",
  signingNames: ["dlm"],
  validation: "coral",
  // DLM answers constraint violations with its own InvalidRequestException.
  validationError: (violations) => {
    const message = coralMessage(violations);
    return new AwsError("InvalidRequestException", message, { status: 400, fields: { Message: message, Code: "InvalidRequestException" } });
  },
  // Imported on first use: start-up evaluates none of the provider's modules.
  createProvider: async (cloud) => new (await import("./provider.js")).DlmProvider(cloud),
};
