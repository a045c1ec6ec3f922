import { AwsError } from "../../core/errors.js";
import { coralMessage } from "../../protocol/validate.js";
import type { ServiceDefinition } from "../types.js";
import { DlmProvider } from "./provider.js";

export const dlm: ServiceDefinition = {
  name: "dlm",
  signingNames: ["dlm"],
  validation: "coral",
  // DLM answers constraint violations with its own InvalidRequestException.
  validationError: (violations) => {
    const message = coralMessage(violations);
    return new AwsError("InvalidRequestException", message, { status: 400, fields: { Message: message, Code: "InvalidRequestException" } });
  },
  createProvider: (cloud) => new DlmProvider(cloud),
};
