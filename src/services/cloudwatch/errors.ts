/**
 * CloudWatch's error catalogue: codes, statuses and wording as AWS answers
 * them (the query form's codes; the json and cbor forms carry the same code in
 * x-amzn-query-error because the service is awsQueryCompatible).
 */
import { AwsError } from "../../core/errors.js";

export interface DashboardValidationMessage {
  DataPath: string;
  Message: string;
}

export const CwErrors = {
  invalidParameterValue: (message: string) => new AwsError("InvalidParameterValue", message, { status: 400 }),
  invalidValue: (value: unknown, parameter: string) =>
    new AwsError("InvalidParameterValue", `The value ${String(value)} for parameter ${parameter} is invalid.`, { status: 400 }),
  invalidParameterCombination: (message: string) => new AwsError("InvalidParameterCombination", message, { status: 400 }),
  mutuallyExclusive: (a: string, b: string) =>
    new AwsError("InvalidParameterCombination", `The parameters ${a} and ${b} are mutually exclusive and you have specified both.`, { status: 400 }),
  missingParameter: (message: string) => new AwsError("MissingParameter", message, { status: 400 }),
  collectionTooLarge: (parameter: string, max: number) =>
    new AwsError("InvalidParameterValue", `The collection ${parameter} must not have a size greater than ${max}.`, { status: 400 }),
  validation: (message: string) => new AwsError("ValidationError", message, { status: 400 }),
  invalidNextToken: () => new AwsError("InvalidNextToken", "The NextToken provided is invalid.", { status: 400 }),
  requestTooLarge: (size: number, limit: number) =>
    new AwsError("RequestEntityTooLarge", `Request size ${size} exceeded ${limit} bytes`, { status: 413 }),
  dashboardNotFound: (name: string) => new AwsError("ResourceNotFound", `Dashboard ${name} does not exist`, { status: 404 }),
  dashboardsNotFound: () => new AwsError("ResourceNotFound", "The specified dashboard does not exist.", { status: 404 }),
  /** AWS's wording ends in a newline. */
  dashboardName: () =>
    new AwsError(
      "InvalidParameterValue",
      "The value for field DashboardName contains invalid characters. It can only contain alphanumerics, dash (-) and underscore (_).\n",
      { status: 400 },
    ),
  dashboardInvalid: (message: string, messages: DashboardValidationMessage[]) =>
    new AwsError("InvalidParameterInput", message, { status: 400, fields: { dashboardValidationMessages: messages } }),
  /** SetAlarmState on a missing alarm: AWS's ResourceNotFound carries no message at all. */
  alarmNotFound: () => new AwsError("ResourceNotFound", "", { status: 404 }),
  invalidFormat: (message: string) => new AwsError("InvalidFormat", message, { status: 400 }),
  limitExceeded: (message: string) => new AwsError("LimitExceeded", message, { status: 400 }),
  resourceNotFoundException: (type: string, id: string) =>
    new AwsError("ResourceNotFoundException", `${type} ${id} not found.`, { status: 404, fields: { ResourceType: type, ResourceId: id } }),
};
