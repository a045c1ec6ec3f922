/** What STS checks of a request's parameters before it looks at who asks, in STS's words. */
import { AwsError } from "../../core/errors.js";
import type { Tag } from "../../generated/sts.js";

/** STS answers an ARN it cannot parse (no partition, service or resource) with "<arn> is invalid". */
export function checkArn(value: string): void {
  const parts = value.split(":");
  if (parts.length < 6 || parts[0] !== "arn" || !parts[1] || !parts[2] || !parts.slice(5).join(":")) {
    throw new AwsError("ValidationError", `${value} is invalid`, { status: 400 });
  }
}

/** Session policies must be JSON; STS reports the parser's complaint as MalformedPolicyDocument. */
export function checkSessionPolicy(policy: string | undefined): void {
  if (policy === undefined) return;
  try {
    JSON.parse(policy);
  } catch (error) {
    throw new AwsError("MalformedPolicyDocument", (error as Error).message, { status: 400 });
  }
}

/** Session tags: keys are unique regardless of case, and transitive keys must be among them. */
export function checkSessionTags(tags: Tag[] | undefined, transitive: string[] | undefined): void {
  const keys = new Set<string>();
  for (const tag of tags ?? []) {
    const key = tag.Key.toLowerCase();
    if (keys.has(key)) throw new AwsError("InvalidParameterValue", "Duplicate tag keys found. Please note that Tag keys are case insensitive.", { status: 400 });
    keys.add(key);
  }
  for (const key of transitive ?? []) {
    if (!keys.has(key.toLowerCase())) throw new AwsError("InvalidParameterValue", "The specified transitive tag key must be included in the requested tags.", { status: 400 });
  }
}

/** How full the packed session policy and tags are, in percent (AWS answers it only when either is given). */
export function packedSize(policy: string | undefined, tags: Tag[] | undefined, policyArns: unknown[] | undefined): number | undefined {
  if (policy === undefined && !tags?.length && !policyArns?.length) return undefined;
  const tagBytes = (tags ?? []).reduce((n, t) => n + t.Key.length + t.Value.length, 0);
  return Math.min(100, Math.ceil((((policy ?? "").replace(/\s+/g, "").length + tagBytes) / 2048) * 100));
}
