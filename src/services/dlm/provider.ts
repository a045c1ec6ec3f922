/**
 * Amazon Data Lifecycle Manager: lifecycle policies (custom and default) with
 * AWS's validation, tags on policies, and the runner that executes them on
 * the clock (see runner.ts).
 */
import type { Cloud } from "../../cloud.js";
import { arn, ec2Id, parseArn } from "../../core/ids.js";
import type {
  CreateLifecyclePolicyRequest,
  CreateLifecyclePolicyResponse,
  DeleteLifecyclePolicyRequest,
  DeleteLifecyclePolicyResponse,
  DlmOperations,
  GetLifecyclePoliciesRequest,
  GetLifecyclePoliciesResponse,
  GetLifecyclePolicyRequest,
  GetLifecyclePolicyResponse,
  ListTagsForResourceRequest,
  ListTagsForResourceResponse,
  TagResourceRequest,
  TagResourceResponse,
  UntagResourceRequest,
  UntagResourceResponse,
  UpdateLifecyclePolicyRequest,
  UpdateLifecyclePolicyResponse,
} from "../../generated/dlm.js";
import type { Scope } from "../../state/documents.js";
import { IamStore } from "../iam/store.js";
import type { CallContext, ServiceProvider } from "../types.js";
import { DlmErrors } from "./errors.js";
import { policies, type PolicyRecord } from "./policies.js";
import { DlmRunner } from "./runner.js";
import { validatePolicyDetails } from "./validate.js";

type Implemented = Pick<
  DlmOperations,
  | "CreateLifecyclePolicy"
  | "GetLifecyclePolicy"
  | "GetLifecyclePolicies"
  | "UpdateLifecyclePolicy"
  | "DeleteLifecyclePolicy"
  | "TagResource"
  | "UntagResource"
  | "ListTagsForResource"
>;

/** Policies per account and region, as DLM's quota. */
const MAX_POLICIES = 100;

export class DlmProvider implements ServiceProvider, Implemented {
  readonly runner: DlmRunner;
  private readonly iam: IamStore;

  constructor(readonly cloud: Cloud) {
    this.runner = new DlmRunner(cloud);
    this.iam = new IamStore(cloud);
  }

  onStart(): void {
    this.runner.onStart();
  }

  CreateLifecyclePolicy(input: CreateLifecyclePolicyRequest, ctx: CallContext): CreateLifecyclePolicyResponse {
    const scope = scopeOf(ctx);
    const collection = policies(this.cloud, scope);
    this.checkRole(ctx.account, input.ExecutionRoleArn);
    const now = this.cloud.clock.now();
    const record: PolicyRecord = {
      PolicyId: ec2Id("policy"),
      PolicyArn: "",
      Description: input.Description,
      State: input.State,
      StatusMessage: input.State,
      ExecutionRoleArn: input.ExecutionRoleArn,
      DateCreated: new Date(now),
      DateModified: new Date(now),
      Tags: input.Tags && Object.keys(input.Tags).length ? { ...input.Tags } : undefined,
      _defaultStart: defaultStart(now),
    };
    record.PolicyArn = arn({ service: "dlm", region: scope.region, account: scope.account, resource: `policy/${record.PolicyId}` });
    if (input.DefaultPolicy) {
      if (input.PolicyDetails?.Schedules?.length) throw DlmErrors.exclusive("DefaultPolicy", "PolicyDetails.Schedules");
      if (collection.values().some((p) => p._default?.type === input.DefaultPolicy)) {
        throw DlmErrors.limit(`A default policy for ${input.DefaultPolicy} resources already exists in this Region.`);
      }
      record.DefaultPolicy = true;
      record._default = defaultParameters(input);
      record.PolicyDetails = defaultDetails(record._default, input);
    } else {
      for (const name of ["CreateInterval", "RetainInterval", "Exclusions", "ExtendDeletion", "CrossRegionCopyTargets"] as const) {
        if (input[name] !== undefined) throw DlmErrors.invalid(`${name} can only be specified for default policies.`);
      }
      record.DefaultPolicy = false;
      record.PolicyDetails = validatePolicyDetails(input.PolicyDetails);
    }
    if (collection.size >= MAX_POLICIES) throw DlmErrors.limit(`You have reached the maximum number of policies (${MAX_POLICIES}) in this Region.`);
    this.cloud.documents.transaction(() => {
      collection.put(record.PolicyId, record);
      this.runner.arm(scope, record);
    });
    return { PolicyId: record.PolicyId };
  }

  GetLifecyclePolicy(input: GetLifecyclePolicyRequest, ctx: CallContext): GetLifecyclePolicyResponse {
    return { Policy: this.find(scopeOf(ctx), input.PolicyId) };
  }

  GetLifecyclePolicies(input: GetLifecyclePoliciesRequest, ctx: CallContext): GetLifecyclePoliciesResponse {
    const all = policies(this.cloud, scopeOf(ctx)).values();
    const pairs = (list: string[] | undefined) =>
      list?.map((text) => {
        const eq = text.indexOf("=");
        if (eq <= 0) throw DlmErrors.invalid(`Tag filters must have the form key=value: ${text}`);
        return { Key: text.slice(0, eq), Value: text.slice(eq + 1) };
      });
    const targetTags = pairs(input.TargetTags);
    const tagsToAdd = pairs(input.TagsToAdd);
    const selected = all
      .filter((p) => !input.PolicyIds?.length || input.PolicyIds.includes(p.PolicyId))
      .filter((p) => !input.State || p.State === input.State)
      .filter((p) => !input.ResourceTypes?.length || (p.PolicyDetails?.ResourceTypes ?? []).some((t) => input.ResourceTypes!.includes(t)))
      .filter((p) => !targetTags || (p.PolicyDetails?.TargetTags ?? []).some((t) => targetTags.some((f) => f.Key === t.Key && f.Value === t.Value)))
      .filter(
        (p) =>
          !tagsToAdd ||
          (p.PolicyDetails?.Schedules ?? []).some((s) => (s.TagsToAdd ?? []).some((t) => tagsToAdd.some((f) => f.Key === t.Key && f.Value === t.Value))),
      )
      .filter((p) => {
        if (!input.DefaultPolicyType) return true;
        if (!p._default) return false;
        return input.DefaultPolicyType === "ALL" || p._default.type === input.DefaultPolicyType;
      })
      .sort((a, b) => new Date(a.DateCreated!).getTime() - new Date(b.DateCreated!).getTime());
    if (input.PolicyIds?.length) {
      const missing = input.PolicyIds.filter((id) => !all.some((p) => p.PolicyId === id));
      if (missing.length) throw DlmErrors.policyNotFound(missing[0]);
    }
    return {
      Policies: selected.map((p) => ({
        PolicyId: p.PolicyId,
        Description: p.Description,
        State: p.State,
        Tags: p.Tags,
        PolicyType: p.PolicyDetails?.PolicyType ?? "EBS_SNAPSHOT_MANAGEMENT",
        DefaultPolicy: p.DefaultPolicy ?? false,
      })),
    };
  }

  UpdateLifecyclePolicy(input: UpdateLifecyclePolicyRequest, ctx: CallContext): UpdateLifecyclePolicyResponse {
    const scope = scopeOf(ctx);
    const current = this.find(scope, input.PolicyId);
    if (input.ExecutionRoleArn !== undefined) this.checkRole(ctx.account, input.ExecutionRoleArn);
    const next: PolicyRecord = structuredClone(current);
    if (input.ExecutionRoleArn !== undefined) next.ExecutionRoleArn = input.ExecutionRoleArn;
    if (input.Description !== undefined) next.Description = input.Description;
    if (input.State !== undefined) {
      next.State = input.State;
      next.StatusMessage = input.State;
    }
    if (current._default) {
      if (input.PolicyDetails?.Schedules?.length) throw DlmErrors.invalid("The schedules of a default policy cannot be changed.");
      next._default = {
        ...current._default,
        createIntervalDays: input.CreateInterval ?? current._default.createIntervalDays,
        retainIntervalDays: input.RetainInterval ?? current._default.retainIntervalDays,
        copyTags: input.CopyTags ?? current._default.copyTags,
        exclusions: input.Exclusions ?? current._default.exclusions,
      };
      checkDefault(next._default);
      next.PolicyDetails = defaultDetails(next._default, { ExtendDeletion: input.ExtendDeletion ?? current.PolicyDetails?.ExtendDeletion });
    } else {
      for (const name of ["CreateInterval", "RetainInterval", "Exclusions", "ExtendDeletion", "CrossRegionCopyTargets"] as const) {
        if (input[name] !== undefined) throw DlmErrors.invalid(`${name} can only be specified for default policies.`);
      }
      if (input.PolicyDetails !== undefined) next.PolicyDetails = validatePolicyDetails(input.PolicyDetails);
    }
    next.DateModified = this.cloud.clock.date();
    this.cloud.documents.transaction(() => {
      policies(this.cloud, scope).put(next.PolicyId, next);
      this.runner.arm(scope, next);
    });
    return {};
  }

  DeleteLifecyclePolicy(input: DeleteLifecyclePolicyRequest, ctx: CallContext): DeleteLifecyclePolicyResponse {
    const scope = scopeOf(ctx);
    this.find(scope, input.PolicyId);
    this.cloud.documents.transaction(() => {
      policies(this.cloud, scope).delete(input.PolicyId);
      this.runner.disarm(input.PolicyId);
    });
    return {};
  }

  TagResource(input: TagResourceRequest, ctx: CallContext): TagResourceResponse {
    const { scope, policy } = this.byArn(ctx, input.ResourceArn);
    const tags = { ...(policy.Tags ?? {}), ...input.Tags };
    if (Object.keys(tags).length > 45) throw DlmErrors.invalid("A policy can have at most 45 tags.");
    policies(this.cloud, scope).update(policy.PolicyId, (p) => void (p.Tags = tags));
    return {};
  }

  UntagResource(input: UntagResourceRequest, ctx: CallContext): UntagResourceResponse {
    const { scope, policy } = this.byArn(ctx, input.ResourceArn);
    policies(this.cloud, scope).update(policy.PolicyId, (p) => {
      const tags = { ...(p.Tags ?? {}) };
      for (const key of input.TagKeys) delete tags[key];
      p.Tags = Object.keys(tags).length ? tags : undefined;
    });
    return {};
  }

  ListTagsForResource(input: ListTagsForResourceRequest, ctx: CallContext): ListTagsForResourceResponse {
    return { Tags: this.byArn(ctx, input.ResourceArn).policy.Tags ?? {} };
  }

  // ------------------------------------------------------------ internals

  private find(scope: Scope, policyId: string): PolicyRecord {
    const policy = policies(this.cloud, scope).get(policyId);
    if (!policy) throw DlmErrors.policyNotFound(policyId);
    return policy;
  }

  private byArn(ctx: CallContext, resourceArn: string): { scope: Scope; policy: PolicyRecord } {
    const parsed = parseArn(resourceArn);
    if (!parsed || parsed.service !== "dlm" || !parsed.resource.startsWith("policy/")) {
      throw DlmErrors.invalid(`The resource ARN ${resourceArn} is not valid.`);
    }
    const scope = { account: parsed.account || ctx.account, region: parsed.region || ctx.region };
    const policy = policies(this.cloud, scope).get(parsed.resource.slice("policy/".length));
    if (!policy) throw DlmErrors.resourceNotFound(resourceArn);
    return { scope, policy };
  }

  private checkRole(account: string, roleArn: string): void {
    if (!this.iam.findRole(account, roleArn)) {
      throw DlmErrors.invalid(`The role ${roleArn} does not exist or Amazon Data Lifecycle Manager is not allowed to assume it.`);
    }
  }
}

function scopeOf(ctx: CallContext): Scope {
  return { account: ctx.account, region: ctx.region };
}

/** Schedules that name no start time start at the first whole hour after the policy was created. */
function defaultStart(now: number): string {
  const next = new Date(Math.ceil(now / 3_600_000) * 3_600_000);
  return `${String(next.getUTCHours()).padStart(2, "0")}:00`;
}

function defaultParameters(input: CreateLifecyclePolicyRequest): NonNullable<PolicyRecord["_default"]> {
  const parameters = {
    type: input.DefaultPolicy!,
    createIntervalDays: input.CreateInterval ?? 1,
    retainIntervalDays: input.RetainInterval ?? 7,
    copyTags: input.CopyTags ?? false,
    exclusions: input.Exclusions,
  };
  checkDefault(parameters);
  return parameters;
}

function checkDefault(parameters: NonNullable<PolicyRecord["_default"]>): void {
  if (parameters.createIntervalDays < 1 || parameters.createIntervalDays > 7) throw DlmErrors.invalid("CreateInterval must be between 1 and 7 days.");
  if (parameters.retainIntervalDays < 2 || parameters.retainIntervalDays > 14) throw DlmErrors.invalid("RetainInterval must be between 2 and 14 days.");
}

function defaultDetails(d: NonNullable<PolicyRecord["_default"]>, input: { ExtendDeletion?: boolean }) {
  return {
    PolicyType: "EBS_SNAPSHOT_MANAGEMENT" as const,
    PolicyLanguage: "SIMPLIFIED" as const,
    ResourceType: d.type,
    CreateInterval: d.createIntervalDays,
    RetainInterval: d.retainIntervalDays,
    CopyTags: d.copyTags,
    ExtendDeletion: input.ExtendDeletion ?? false,
    Exclusions: d.exclusions,
  };
}
