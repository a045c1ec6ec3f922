/**
 * The handler chain is data: each step does one thing to the exchange and
 * either passes it on or answers. Adding a concern means adding a step.
 */
import { AwsError, CommonErrors } from "../core/errors.js";
import type { Cloud } from "../cloud.js";
import { loadModel } from "../protocol/model.js";
import { protocolFor } from "../protocol/registry.js";
import { coralMessage, validateInput, type Violation } from "../protocol/validate.js";
import type { CallContext, OperationHandler } from "../services/types.js";
import { authenticate, requireSignature } from "./auth.js";
import type { Exchange } from "./exchange.js";
import { routeRequest } from "./router.js";
import { readSignature } from "./sigv4.js";

export type Step = (exchange: Exchange, cloud: Cloud) => Promise<"done" | void> | "done" | void;

export const identifyCaller: Step = (ex, cloud) => {
  ex.signature = readSignature(ex.http);
  ex.accessKeyId = ex.signature?.accessKeyId ?? "";
  ex.region = ex.signature?.region || cloud.options.defaultRegion;
  if (ex.accessKeyId) {
    const caller = cloud.identity.caller(ex.accessKeyId);
    ex.account = caller.account;
    ex.principalArn = caller.principalArn;
  } else {
    ex.account = "";
    ex.principalArn = "";
  }
};

export const resolveService: Step = (ex, cloud) => {
  const route = routeRequest(ex.http, ex.signature, cloud.definitions);
  ex.wantedService = route.wanted;
  if (!route.definition) {
    throw new AwsError("NotImplemented", `The service '${route.wanted}' is not available in Stratus`, { status: 501 });
  }
  ex.definition = route.definition;
  if (route.definition.globalRegion) ex.region = route.definition.globalRegion;
  ex.model = loadModel(route.definition.name);
  // Content-Encoding: gzip is request compression only for services that model it (CloudWatch);
  // for S3 it is part of the object and must be stored as sent.
  ex.http.decodeContentEncoding = ex.model.compressesRequests;
  ex.protocol = route.definition.protocolFor?.(ex.http) ?? protocolFor(ex.model.metadata.protocol);
};

export const checkSignature: Step = async (ex, cloud) => {
  if (cloud.options.auth === "strict") await authenticate(ex, cloud);
};

export const resolveOperation: Step = async (ex) => {
  try {
    ex.operation = await ex.protocol!.resolveOperation(ex.http, ex.model!);
  } finally {
    // An unsigned request in strict mode hears about its signature first.
    requireSignature(ex);
  }
};

export const parseInput: Step = async (ex) => {
  ex.input = await ex.protocol!.parseInput(ex.http, ex.model!, ex.operation!);
};

export const validate: Step = (ex) => {
  const definition = ex.definition!;
  if (definition.validation === "none") return;
  const violations = validateInput(ex.model!, ex.operation!.input?.shape, ex.input, { constraints: definition.validation === "coral" });
  if (violations.length === 0) return;
  throw definition.validationError?.(violations, ex.operation!) ?? defaultValidationError(ex, violations);
};

function defaultValidationError(ex: Exchange, violations: Violation[]): AwsError {
  if (ex.definition!.validation === "coral") {
    // awsQueryCompatible services answer their query-protocol code in every protocol.
    const queryCode = ex.protocol!.name === "query" || ex.model!.metadata.awsQueryCompatible !== undefined;
    const code = queryCode ? "ValidationError" : "ValidationException";
    return new AwsError(code, coralMessage(violations), { status: 400 });
  }
  const missing = violations[0];
  return new AwsError("MissingParameter", `The request must contain the parameter ${missing.member}`, { status: 400 });
}

/** Principals whose identity policies apply: IAM users and assumed-role sessions (not the account root). */
const IAM_PRINCIPAL = /^arn:aws[a-z-]*:(iam::\d{12}:user\/|sts::\d{12}:assumed-role\/)/;

/** IAM identity policies, for services that leave them to the chain (src/services/iam/enforce.ts). */
export const authorizeIdentity: Step = async (ex, cloud) => {
  const definition = ex.definition!;
  if ((definition.identityPolicies ?? "chain") !== "chain" || !IAM_PRINCIPAL.test(ex.principalArn)) return;
  // Loaded on the first request by an IAM principal: start-up does not pay for it.
  const { identityDecision, globalContext, deniedMessage, identityDenied } = await import("../services/iam/enforce.js");
  const context = globalContext(cloud, { principalArn: ex.principalArn, account: ex.account, region: ex.region, sourceIp: ex.http.socketAddress, secure: false });
  const request = { principalArn: ex.principalArn, action: `${definition.name}:${ex.operation!.name}`, context };
  const decision = identityDecision(cloud, request);
  if (decision === "Allow" || decision === "Unrestricted") return;
  let message = deniedMessage(ex.principalArn, request, decision);
  if (definition.encodesAuthorizationFailures) {
    const { encodeAuthorizationFailure } = await import("../services/sts/authorization-message.js");
    const principalId = cloud.identity.caller(ex.accessKeyId).userId;
    const failure = { account: ex.account, principalArn: ex.principalArn, principalId, action: request.action, resource: "*", explicitDeny: decision === "Deny", context };
    message += `. Encoded authorization failure message: ${encodeAuthorizationFailure(cloud, failure)}`;
  }
  throw identityDenied(message, definition.accessDenied);
};

export const dispatch: Step = async (ex, cloud) => {
  const definition = ex.definition!;
  const operation = ex.operation!;
  const provider = (await cloud.ready(definition.name)) as unknown as Record<string, OperationHandler | undefined>;
  const handler = provider[operation.name];
  if (typeof handler !== "function") throw CommonErrors.notImplemented(definition.name, operation.name);
  const ctx: CallContext = {
    requestId: ex.requestId,
    account: ex.account || (cloud.identity.accountFor("")),
    region: ex.region,
    accessKeyId: ex.accessKeyId,
    anonymous: !ex.accessKeyId,
    principalArn: ex.principalArn,
    service: definition.name,
    operation: operation.name,
    request: ex.http,
    host: ex.http.headers["host"] ?? "",
    sourceIp: ex.http.socketAddress,
    secure: false,
    cloud,
    responseHeaders: ex.responseHeaders,
  };
  const output = (await handler.call(provider, ex.input ?? {}, ctx)) as Record<string, unknown> | undefined;
  ex.response = ex.protocol!.serializeOutput(ex.model!, operation, output ?? undefined, ex.requestId);
  if (ctx.responseStatus !== undefined) ex.response.status = ctx.responseStatus;
  Object.assign(ex.response.headers, ex.responseHeaders);
};

/** The default chain, in order. */
export const DEFAULT_CHAIN: Step[] = [identifyCaller, resolveService, checkSignature, resolveOperation, parseInput, validate, authorizeIdentity, dispatch];
