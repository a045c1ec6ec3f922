/** Every service Stratus serves, in routing order. */
import { ce } from "./ce/index.js";
import { cloudwatch } from "./cloudwatch/index.js";
import { dlm } from "./dlm/index.js";
import { ebs } from "./ebs/index.js";
import { ec2 } from "./ec2/index.js";
import { iam } from "./iam/index.js";
import { kms } from "./kms/index.js";
import { pricing } from "./pricing/index.js";
import { s3 } from "./s3/index.js";
import { sts } from "./sts/index.js";
import type { ServiceDefinition } from "./types.js";

export const SERVICES: readonly ServiceDefinition[] = [s3, ec2, ebs, dlm, cloudwatch, sts, iam, kms, pricing, ce];
