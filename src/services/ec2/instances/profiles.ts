/**
 * Settings of running instances that have their own API: IAM instance
 * profile associations (Associate/Replace/Disassociate/Describe
 * IamInstanceProfileAssociations; the profile must exist in IAM) and the CPU
 * credit option of burstable types (t2 defaults to standard, t3/t3a/t4g to
 * unlimited, as in EC2).
 */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  AssociateIamInstanceProfileRequest,
  AssociateIamInstanceProfileResult,
  DescribeIamInstanceProfileAssociationsRequest,
  DescribeIamInstanceProfileAssociationsResult,
  DescribeInstanceCreditSpecificationsRequest,
  DescribeInstanceCreditSpecificationsResult,
  DisassociateIamInstanceProfileRequest,
  DisassociateIamInstanceProfileResult,
  IamInstanceProfileAssociation,
  IamInstanceProfileSpecification,
  InstanceCreditSpecification,
  ModifyInstanceCreditSpecificationRequest,
  ModifyInstanceMetadataOptionsRequest,
  ModifyInstanceMetadataOptionsResult,
  ModifyInstanceCreditSpecificationResult,
  ReplaceIamInstanceProfileAssociationRequest,
  ReplaceIamInstanceProfileAssociationResult,
} from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import { IamStore } from "../../iam/store.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters } from "../filters.js";
import { KINDS, checkIdShape, isWellFormedId } from "../lookup.js";
import { scopeOf } from "../network/module.js";
import { paginate } from "../pagination.js";
import type { Ec2State, InstanceRecord } from "../state.js";
import type { InstancesModule } from "./module.js";

/** The association id of an instance's profile (stored, or derived from the instance id for older records). */
function associationId(record: InstanceRecord): string {
  return record._profileAssociation?.id ?? `iip-assoc-${record.InstanceId!.slice(2)}`;
}

const BURSTABLE = /^(t2|t3|t3a|t4g)\./;

/** The CPU credit option an instance has: its own, else its family's default. */
export function cpuCreditsOf(record: InstanceRecord): string | undefined {
  if (!BURSTABLE.test(record.InstanceType ?? "")) return undefined;
  return record._cpuCredits ?? (record.InstanceType!.startsWith("t2.") ? "standard" : "unlimited");
}

export class InstanceSettingsModule {
  private readonly iam: IamStore;

  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly instances: InstancesModule,
  ) {
    this.iam = new IamStore(cloud);
  }

  private profile(scope: Scope, spec: IamInstanceProfileSpecification | undefined): { Arn: string; Id: string } {
    if (!spec || (!spec.Arn && !spec.Name)) throw Ec2Errors.missingParameter("iamInstanceProfile");
    if (spec.Arn && spec.Name) {
      throw Ec2Errors.invalidParameterCombination("The parameter 'iamInstanceProfile.name' may not be used in combination with 'iamInstanceProfile.arn'");
    }
    const found = this.iam.findInstanceProfile(scope.account, spec.Arn ?? spec.Name!);
    if (!found) {
      throw spec.Arn
        ? Ec2Errors.invalidParameterValue(`Value (${spec.Arn}) for parameter iamInstanceProfile.arn is invalid. Invalid IAM Instance Profile ARN`)
        : Ec2Errors.invalidParameterValue(`Value (${spec.Name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`);
    }
    return { Arn: found.Arn, Id: found.InstanceProfileId };
  }

  private view(record: InstanceRecord, state: IamInstanceProfileAssociation["State"]): IamInstanceProfileAssociation {
    return {
      AssociationId: associationId(record),
      InstanceId: record.InstanceId,
      IamInstanceProfile: record.IamInstanceProfile,
      State: state,
      Timestamp: new Date(record._profileAssociation?.at ?? record._createdAt),
    };
  }

  /** Live instances holding a profile. */
  private associated(scope: Scope): InstanceRecord[] {
    return this.state
      .instances(scope)
      .values()
      .filter((r) => r.IamInstanceProfile?.Arn && r.State?.Name !== "terminated");
  }

  private byAssociation(scope: Scope, id: string): InstanceRecord {
    if (!isWellFormedId(id, "iip-assoc")) throw Ec2Errors.custom("InvalidAssociationID.Malformed", `Invalid id: "${id}" (expecting "iip-assoc-...")`);
    const record = this.associated(scope).find((r) => associationId(r) === id);
    if (!record) throw Ec2Errors.custom("InvalidAssociationID.NotFound", `An association with ID ${id} does not exist.`);
    return record;
  }

  AssociateIamInstanceProfile(input: AssociateIamInstanceProfileRequest, ctx: CallContext): AssociateIamInstanceProfileResult {
    const scope = scopeOf(ctx);
    if (!input.InstanceId) throw Ec2Errors.missingParameter("instanceId");
    const [record] = this.instances.require(scope, [input.InstanceId]);
    const profile = this.profile(scope, input.IamInstanceProfile);
    const stateName = record.State?.Name;
    if (stateName !== "running" && stateName !== "stopped" && stateName !== "pending" && stateName !== "stopping") {
      throw Ec2Errors.incorrectInstanceState(`The instance '${record.InstanceId}' is not in a valid state for this operation.`);
    }
    if (record.IamInstanceProfile?.Arn) throw Ec2Errors.custom("IncorrectState", `There is an existing association for instance ${record.InstanceId}`);
    const updated = this.state.instances(scope).update(record.InstanceId!, (r) => {
      r.IamInstanceProfile = profile;
      r._profileAssociation = { id: ec2Id("iip-assoc"), at: this.cloud.clock.now() };
    })!;
    return { IamInstanceProfileAssociation: this.view(updated, "associating") };
  }

  ReplaceIamInstanceProfileAssociation(input: ReplaceIamInstanceProfileAssociationRequest, ctx: CallContext): ReplaceIamInstanceProfileAssociationResult {
    const scope = scopeOf(ctx);
    const record = this.byAssociation(scope, input.AssociationId);
    const profile = this.profile(scope, input.IamInstanceProfile);
    const updated = this.state.instances(scope).update(record.InstanceId!, (r) => {
      r.IamInstanceProfile = profile;
      r._profileAssociation = { id: ec2Id("iip-assoc"), at: this.cloud.clock.now() };
    })!;
    return { IamInstanceProfileAssociation: this.view(updated, "associating") };
  }

  DisassociateIamInstanceProfile(input: DisassociateIamInstanceProfileRequest, ctx: CallContext): DisassociateIamInstanceProfileResult {
    const scope = scopeOf(ctx);
    const record = this.byAssociation(scope, input.AssociationId);
    const shown = this.view(record, "disassociating");
    this.state.instances(scope).update(record.InstanceId!, (r) => {
      delete r.IamInstanceProfile;
      delete r._profileAssociation;
    });
    return { IamInstanceProfileAssociation: shown };
  }

  DescribeIamInstanceProfileAssociations(input: DescribeIamInstanceProfileAssociationsRequest, ctx: CallContext): DescribeIamInstanceProfileAssociationsResult {
    const scope = scopeOf(ctx);
    const idsGiven = Boolean(input.AssociationIds?.length);
    const records = idsGiven ? [...new Set(input.AssociationIds!)].map((id) => this.byAssociation(scope, id)) : this.associated(scope);
    const all = records.map((r) => this.view(r, "associated"));
    const predicate = compileFilters<IamInstanceProfileAssociation>(input.Filters, {
      fields: { "instance-id": (a) => a.InstanceId, state: (a) => a.State },
    });
    const page = paginate(all.filter(predicate), input, { min: 5, max: 1000, idsParameter: "AssociationIds" }, (a) => a.AssociationId!, idsGiven);
    return { IamInstanceProfileAssociations: page.items, NextToken: page.nextToken };
  }

  // ---- Instance metadata options ----

  ModifyInstanceMetadataOptions(input: ModifyInstanceMetadataOptionsRequest, ctx: CallContext): ModifyInstanceMetadataOptionsResult {
    const scope = scopeOf(ctx);
    const [record] = this.instances.require(scope, [input.InstanceId]);
    if (record.State?.Name === "terminated" || record.State?.Name === "shutting-down") {
      throw Ec2Errors.incorrectInstanceState(`The instance '${record.InstanceId}' is not in a valid state for this operation.`);
    }
    const choice = (value: string | undefined, allowed: string[], name: string) => {
      if (value !== undefined && !allowed.includes(value)) throw Ec2Errors.invalidValueFor(value, name);
    };
    choice(input.HttpTokens, ["optional", "required"], "HttpTokens");
    choice(input.HttpEndpoint, ["enabled", "disabled"], "HttpEndpoint");
    choice(input.HttpProtocolIpv6, ["enabled", "disabled"], "HttpProtocolIpv6");
    choice(input.InstanceMetadataTags, ["enabled", "disabled"], "InstanceMetadataTags");
    const hops = input.HttpPutResponseHopLimit;
    if (hops !== undefined && (!Number.isInteger(hops) || hops < 1 || hops > 64)) {
      throw Ec2Errors.invalidParameterValue(`Value (${hops}) for parameter HttpPutResponseHopLimit is invalid. Valid values are between 1 and 64.`);
    }
    const updated = this.state.instances(scope).update(record.InstanceId!, (r) => {
      const current = r.MetadataOptions ?? {};
      r.MetadataOptions = {
        ...current,
        State: "applied",
        HttpTokens: input.HttpTokens ?? current.HttpTokens,
        HttpPutResponseHopLimit: hops ?? current.HttpPutResponseHopLimit,
        HttpEndpoint: input.HttpEndpoint ?? current.HttpEndpoint,
        HttpProtocolIpv6: input.HttpProtocolIpv6 ?? current.HttpProtocolIpv6,
        InstanceMetadataTags: input.InstanceMetadataTags ?? current.InstanceMetadataTags,
      };
    })!;
    // EC2 answers "pending" while the change propagates to the instance.
    return { InstanceId: record.InstanceId, InstanceMetadataOptions: { ...updated.MetadataOptions, State: "pending" } };
  }

  // ---- CPU credits ----

  DescribeInstanceCreditSpecifications(input: DescribeInstanceCreditSpecificationsRequest, ctx: CallContext): DescribeInstanceCreditSpecificationsResult {
    const scope = scopeOf(ctx);
    const idsGiven = Boolean(input.InstanceIds?.length);
    // Named instances: each burstable one. Otherwise EC2 lists the instances with the unlimited option.
    const records = idsGiven
      ? this.instances.require(scope, input.InstanceIds!).filter((r) => cpuCreditsOf(r))
      : this.state
          .instances(scope)
          .values()
          .filter((r) => r.State?.Name !== "terminated" && cpuCreditsOf(r) === "unlimited");
    const all: InstanceCreditSpecification[] = records.map((r) => ({ InstanceId: r.InstanceId, CpuCredits: cpuCreditsOf(r) }));
    const predicate = compileFilters<InstanceCreditSpecification>(input.Filters, { fields: { "instance-id": (c) => c.InstanceId } });
    const page = paginate(all.filter(predicate), input, { min: 5, max: 1000, idsParameter: "InstanceIds" }, (c) => c.InstanceId!, idsGiven);
    return { InstanceCreditSpecifications: page.items, NextToken: page.nextToken };
  }

  ModifyInstanceCreditSpecification(input: ModifyInstanceCreditSpecificationRequest, ctx: CallContext): ModifyInstanceCreditSpecificationResult {
    const scope = scopeOf(ctx);
    const specs = input.InstanceCreditSpecifications ?? [];
    if (!specs.length) throw Ec2Errors.missingParameter("InstanceCreditSpecification");
    const ok: ModifyInstanceCreditSpecificationResult["SuccessfulInstanceCreditSpecifications"] = [];
    const failed: ModifyInstanceCreditSpecificationResult["UnsuccessfulInstanceCreditSpecifications"] = [];
    for (const spec of specs) {
      const id = spec.InstanceId ?? "";
      const credits = spec.CpuCredits;
      if (credits !== "standard" && credits !== "unlimited") {
        throw Ec2Errors.invalidParameterValue(`Value (${credits}) for parameter cpuCredits is invalid. Valid values are 'standard' and 'unlimited'.`);
      }
      try {
        checkIdShape(id, KINDS.instance);
      } catch {
        failed.push({ InstanceId: id, Error: { Code: "InvalidInstanceID.Malformed", Message: `Invalid id: "${id}" (expecting "i-...")` } });
        continue;
      }
      const record = this.instances.live(scope, id);
      if (!record) {
        failed.push({ InstanceId: id, Error: { Code: "InvalidInstanceID.NotFound", Message: `The instance ID '${id}' does not exist` } });
        continue;
      }
      if (!cpuCreditsOf(record)) {
        failed.push({
          InstanceId: id,
          Error: { Code: "InstanceCreditSpecification.NotSupported", Message: `The instance type ${record.InstanceType} does not support CPU credits.` },
        });
        continue;
      }
      this.state.instances(scope).update(id, (r) => void (r._cpuCredits = credits));
      ok.push({ InstanceId: id });
    }
    return { SuccessfulInstanceCreditSpecifications: ok, UnsuccessfulInstanceCreditSpecifications: failed };
  }
}
