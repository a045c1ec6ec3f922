/**
 * Service-linked roles: roles an AWS service owns, named and placed by IAM
 * (AWSServiceRoleForEC2Spot at /aws-service-role/spot.amazonaws.com/),
 * trusting only their service. The plain role operations refuse to change or
 * delete them (UnmodifiableEntity); DeleteServiceLinkedRole deletes one and
 * hands back a deletion task, already SUCCEEDED since no resource of the
 * service holds the role in Stratus.
 */
import type { Cloud } from "../../cloud.js";
import { iamUniqueId, uuid } from "../../core/ids.js";
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { requireRole, toRole } from "./lookup.js";
import { ROLES_PER_ACCOUNT } from "./roles.js";
import type { IamStore, RoleRecord } from "./store.js";

interface LinkedService {
  /** The role's name; a CustomSuffix is appended after "_". */
  role: string;
  suffix: boolean;
  description?: string;
}

/** The role names AWS gives (others follow the generic rule in roleNameFor). */
const SERVICES: Record<string, LinkedService> = {
  "spot.amazonaws.com": { role: "AWSServiceRoleForEC2Spot", suffix: false, description: "Default EC2 Spot Service Linked Role" },
  "spotfleet.amazonaws.com": { role: "AWSServiceRoleForEC2SpotFleet", suffix: false, description: "Default EC2 Spot Fleet Service Linked Role" },
  "ec2fleet.amazonaws.com": { role: "AWSServiceRoleForEC2Fleet", suffix: false },
  "autoscaling.amazonaws.com": {
    role: "AWSServiceRoleForAutoScaling",
    suffix: true,
    description: "Default Service-Linked Role enables access to AWS Services and Resources used or managed by Auto Scaling",
  },
  "elasticloadbalancing.amazonaws.com": { role: "AWSServiceRoleForElasticLoadBalancing", suffix: false },
  "events.amazonaws.com": { role: "AWSServiceRoleForCloudWatchEvents", suffix: false },
  "ssm.amazonaws.com": { role: "AWSServiceRoleForAmazonSSM", suffix: false },
  "ecs.amazonaws.com": { role: "AWSServiceRoleForECS", suffix: false },
  "eks.amazonaws.com": { role: "AWSServiceRoleForAmazonEKS", suffix: false },
  "eks-nodegroup.amazonaws.com": { role: "AWSServiceRoleForAmazonEKSNodegroup", suffix: false },
  "batch.amazonaws.com": { role: "AWSServiceRoleForBatch", suffix: false },
  "rds.amazonaws.com": { role: "AWSServiceRoleForRDS", suffix: false },
  "elasticache.amazonaws.com": { role: "AWSServiceRoleForElastiCache", suffix: false },
  "elasticfilesystem.amazonaws.com": { role: "AWSServiceRoleForAmazonElasticFileSystem", suffix: false },
  "es.amazonaws.com": { role: "AWSServiceRoleForAmazonElasticsearchService", suffix: false },
  "opensearchservice.amazonaws.com": { role: "AWSServiceRoleForAmazonOpenSearchService", suffix: false },
  "elasticbeanstalk.amazonaws.com": { role: "AWSServiceRoleForElasticBeanstalk", suffix: false },
  "backup.amazonaws.com": { role: "AWSServiceRoleForBackup", suffix: false },
  "cloudtrail.amazonaws.com": { role: "AWSServiceRoleForCloudTrail", suffix: false },
  "config.amazonaws.com": { role: "AWSServiceRoleForConfig", suffix: false },
  "organizations.amazonaws.com": { role: "AWSServiceRoleForOrganizations", suffix: false },
  "support.amazonaws.com": { role: "AWSServiceRoleForSupport", suffix: false },
  "trustedadvisor.amazonaws.com": { role: "AWSServiceRoleForTrustedAdvisor", suffix: false },
  "guardduty.amazonaws.com": { role: "AWSServiceRoleForAmazonGuardDuty", suffix: false },
  "compute-optimizer.amazonaws.com": { role: "AWSServiceRoleForComputeOptimizer", suffix: false },
  "elasticmapreduce.amazonaws.com": { role: "AWSServiceRoleForEMRCleanup", suffix: false },
  "emr-containers.amazonaws.com": { role: "AWSServiceRoleForAmazonEMRContainers", suffix: false },
  "sagemaker.amazonaws.com": { role: "AWSServiceRoleForAmazonSageMakerNotebooks", suffix: false },
  "redshift.amazonaws.com": { role: "AWSServiceRoleForRedshift", suffix: false },
  "memorydb.amazonaws.com": { role: "AWSServiceRoleForMemoryDB", suffix: false },
  "connect.amazonaws.com": { role: "AWSServiceRoleForAmazonConnect", suffix: true },
  "lexv2.amazonaws.com": { role: "AWSServiceRoleForLexV2Bots", suffix: true },
};

/** Services that take roles passed to them (service roles) and have no service-linked role. */
const NO_LINKED_ROLE = new Set(["dlm.amazonaws.com", "ec2.amazonaws.com", "s3.amazonaws.com", "lambda.amazonaws.com", "kms.amazonaws.com"]);

const TASK_ID = /^task\/aws-service-role\/[^/]+\/[^/]+\/[0-9a-f-]{36}$/;

/** AWS's name for a service's role; for a service not in the table, "AWSServiceRoleFor" + its first label, capitalised. */
function linkedService(serviceName: string): LinkedService {
  const known = SERVICES[serviceName];
  if (known) return known;
  if (NO_LINKED_ROLE.has(serviceName) || !/^[a-z0-9-]+(\.[a-z0-9-]+)*\.amazonaws\.com(\.cn)?$/.test(serviceName)) {
    throw IamErrors.invalidInput(`Invalid service name: ${serviceName}`);
  }
  const label = serviceName.split(".")[0];
  return { role: `AWSServiceRoleFor${label[0].toUpperCase()}${label.slice(1)}`, suffix: true };
}

export class ServiceLinkedRoleOperations {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: IamStore,
  ) {}

  CreateServiceLinkedRole(input: Iam.CreateServiceLinkedRoleRequest, ctx: CallContext): Iam.CreateServiceLinkedRoleResponse {
    const service = input.AWSServiceName;
    const linked = linkedService(service);
    if (input.CustomSuffix !== undefined && !linked.suffix) throw IamErrors.invalidInput(`Custom suffix is not allowed for ${service}`);
    const name = input.CustomSuffix !== undefined ? `${linked.role}_${input.CustomSuffix}` : linked.role;
    const roles = this.store.roles(ctx.account);
    if (roles.has(name.toLowerCase())) throw IamErrors.invalidInput(`Service role name ${name} has been taken in this account, please try a different suffix.`);
    if (roles.size >= ROLES_PER_ACCOUNT) throw IamErrors.quota("RolesPerAccount", ROLES_PER_ACCOUNT);
    const path = `/aws-service-role/${service}/`;
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] };
    const record: RoleRecord = {
      RoleName: name,
      RoleId: iamUniqueId("AROA"),
      Arn: `arn:aws:iam::${ctx.account}:role${path}${name}`,
      Path: path,
      CreateDate: this.cloud.clock.date(),
      AssumeRolePolicyDocument: JSON.stringify(trust),
      Description: input.Description ?? linked.description,
      MaxSessionDuration: 3600,
      Tags: [],
      InlinePolicies: {},
      AttachedPolicyArns: [],
      ServiceLinked: { ServiceName: service },
    };
    roles.put(name.toLowerCase(), record);
    return { Role: toRole(record, { tags: false, lastUsed: false }) };
  }

  DeleteServiceLinkedRole(input: Iam.DeleteServiceLinkedRoleRequest, ctx: CallContext): Iam.DeleteServiceLinkedRoleResponse {
    const role = requireRole(this.store, ctx.account, input.RoleName);
    if (!role.ServiceLinked) throw IamErrors.noSuchEntity(`Role ${role.RoleName} is not a service-linked role.`);
    const DeletionTaskId = `task/aws-service-role/${role.ServiceLinked.ServiceName}/${role.RoleName}/${uuid()}`;
    this.cloud.documents.transaction(() => {
      this.store.roles(ctx.account).delete(role.RoleName.toLowerCase());
      this.store.deletionTasks(ctx.account).put(DeletionTaskId, { DeletionTaskId, Status: "SUCCEEDED" });
    });
    return { DeletionTaskId };
  }

  GetServiceLinkedRoleDeletionStatus(input: Iam.GetServiceLinkedRoleDeletionStatusRequest, ctx: CallContext): Iam.GetServiceLinkedRoleDeletionStatusResponse {
    if (!TASK_ID.test(input.DeletionTaskId)) throw IamErrors.invalidInput(`Invalid deletion task id: ${input.DeletionTaskId}`);
    const task = this.store.deletionTasks(ctx.account).get(input.DeletionTaskId);
    if (!task) throw IamErrors.noSuchEntity(`Deletion task ${input.DeletionTaskId} cannot be found.`);
    return { Status: task.Status };
  }
}
