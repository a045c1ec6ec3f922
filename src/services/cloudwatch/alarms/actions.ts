/**
 * Alarm actions. EC2 actions stop, terminate or reboot (recover = reboot on
 * new hardware) the instance named by the alarm's InstanceId dimension, through
 * the EC2 provider's own operations. Stratus has no SNS, Auto Scaling, Lambda
 * or Systems Manager, so those actions are recorded as failed.
 */
import type { Cloud } from "../../../cloud.js";
import { requestId } from "../../../core/ids.js";
import type { MetricAlarm } from "../../../generated/cloudwatch.js";
import type { HttpRequest } from "../../../protocol/http.js";
import type { Scope } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { ec2ActionOf } from "./config.js";

export interface ActionResult {
  action: string;
  ok: boolean;
  detail: string;
}

const OPERATIONS = { stop: "StopInstances", terminate: "TerminateInstances", reboot: "RebootInstances", recover: "RebootInstances" } as const;

const NO_REQUEST: HttpRequest = {
  method: "POST",
  rawPath: "/",
  query: [],
  headers: {},
  readBody: async () => Buffer.alloc(0),
  bodyStream: () => {
    throw new Error("no body");
  },
};

function serviceContext(cloud: Cloud, scope: Scope, operation: string): CallContext {
  return {
    requestId: requestId(),
    account: scope.account,
    region: scope.region,
    accessKeyId: "",
    anonymous: false,
    principalArn: `arn:aws:iam::${scope.account}:role/aws-service-role/events.amazonaws.com/AWSServiceRoleForCloudWatchEvents`,
    service: "ec2",
    operation,
    request: NO_REQUEST,
    host: "",
    sourceIp: "",
    secure: false,
    cloud,
    responseHeaders: {},
  };
}

export async function runAction(cloud: Cloud, scope: Scope, alarm: MetricAlarm, action: string): Promise<ActionResult> {
  const ec2 = ec2ActionOf(action);
  if (!ec2) {
    const service = action.split(":")[2] ?? "unknown";
    return { action, ok: false, detail: `the ${service} service is not available in Stratus` };
  }
  const instanceId = alarm.Dimensions?.find((d) => d.Name === "InstanceId")?.Value;
  if (!instanceId) return { action, ok: false, detail: "the alarm's metric has no InstanceId dimension" };
  const operation = OPERATIONS[ec2.verb];
  let provider: Record<string, unknown>;
  try {
    provider = cloud.provider("ec2") as unknown as Record<string, unknown>;
  } catch {
    return { action, ok: false, detail: "EC2 is not available" };
  }
  const handler = provider[operation];
  if (typeof handler !== "function") return { action, ok: false, detail: `ec2:${operation} is not available` };
  try {
    await handler.call(provider, { InstanceIds: [instanceId] }, serviceContext(cloud, scope, operation));
    return { action, ok: true, detail: `${operation} ${instanceId}` };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    return { action, ok: false, detail: `${e.code ?? "Error"}: ${e.message ?? String(error)}` };
  }
}
