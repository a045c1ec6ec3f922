/**
 * Session credentials as STS issues them: registered with the identity store,
 * so that Stratus recognises them (as the principal they were issued to) until
 * they expire on Stratus's clock.
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import { accessKeyId, secretAccessKey, sessionToken } from "../../core/ids.js";
import type { Credentials } from "../../generated/sts.js";
import type { RoleRecord } from "../iam/store.js";

export function issueSession(cloud: Cloud, account: string, principalArn: string, userId: string, durationSeconds: number): Credentials {
  const expiration = new Date(cloud.clock.now() + durationSeconds * 1000);
  const issued = {
    accessKeyId: accessKeyId("ASIA"),
    secretAccessKey: secretAccessKey(),
    sessionToken: sessionToken(),
    account,
    principalArn,
    userId,
    expiration: expiration.getTime(),
  };
  cloud.identity.issue(issued);
  return { AccessKeyId: issued.accessKeyId, SecretAccessKey: issued.secretAccessKey, SessionToken: issued.sessionToken, Expiration: expiration };
}

/** A role's session: its ARN, its user id and credentials that act as it. */
export function issueRoleSession(cloud: Cloud, role: RoleRecord, sessionName: string, durationSeconds: number) {
  const account = role.Arn.split(":")[4];
  const arn = `arn:aws:sts::${account}:assumed-role/${role.RoleName}/${sessionName}`;
  const userId = `${role.RoleId}:${sessionName}`;
  return { Credentials: issueSession(cloud, account, arn, userId, durationSeconds), AssumedRoleUser: { AssumedRoleId: userId, Arn: arn } };
}

/** DurationSeconds may not exceed the role's MaxSessionDuration (default: an hour). */
export function sessionDuration(role: RoleRecord, requested: number | undefined): number {
  const duration = requested ?? 3600;
  if (duration > role.MaxSessionDuration) {
    throw new AwsError("ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.", { status: 400 });
  }
  return duration;
}
