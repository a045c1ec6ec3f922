/** DLM's errors (rest-json): InvalidRequestException 400, ResourceNotFoundException 404, LimitExceededException 429. */
import { AwsError } from "../../core/errors.js";

export const DlmErrors = {
  invalid: (message: string, extra: { RequiredParameters?: string[]; MutuallyExclusiveParameters?: string[] } = {}) =>
    new AwsError("InvalidRequestException", message, {
      status: 400,
      fields: {
        Message: message,
        Code: "InvalidRequestException",
        ...(extra.RequiredParameters ? { RequiredParameters: extra.RequiredParameters as unknown as string } : {}),
        ...(extra.MutuallyExclusiveParameters ? { MutuallyExclusiveParameters: extra.MutuallyExclusiveParameters as unknown as string } : {}),
      },
    }),
  required: (...parameters: string[]) =>
    DlmErrors.invalid(`The following parameters are required: ${parameters.join(", ")}`, { RequiredParameters: parameters }),
  exclusive: (...parameters: string[]) =>
    DlmErrors.invalid(`The following parameters are mutually exclusive: ${parameters.join(", ")}`, { MutuallyExclusiveParameters: parameters }),
  policyNotFound: (policyId: string) =>
    new AwsError("ResourceNotFoundException", `Policy ${policyId} does not exist`, {
      status: 404,
      fields: { Message: `Policy ${policyId} does not exist`, Code: "ResourceNotFoundException", ResourceType: "Policy", ResourceIds: [policyId] as unknown as string },
    }),
  resourceNotFound: (arn: string) =>
    new AwsError("ResourceNotFoundException", `Resource ${arn} does not exist`, {
      status: 404,
      fields: { Message: `Resource ${arn} does not exist`, Code: "ResourceNotFoundException", ResourceType: "Policy" },
    }),
  limit: (message: string) =>
    new AwsError("LimitExceededException", message, { status: 429, fields: { Message: message, Code: "LimitExceededException", ResourceType: "Policy" } }),
};
