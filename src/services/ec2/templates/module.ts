/**
 * Launch templates: named, versioned launch parameters. Create/Describe/
 * Delete LaunchTemplate(s), Create/Describe/DeleteLaunchTemplateVersions,
 * ModifyLaunchTemplate (the default version), GetLaunchTemplateData, and
 * resolving a template for RunInstances and spot fleets (the call's own
 * parameters win over the template's).
 */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  CreateLaunchTemplateRequest,
  CreateLaunchTemplateResult,
  CreateLaunchTemplateVersionRequest,
  CreateLaunchTemplateVersionResult,
  DeleteLaunchTemplateRequest,
  DeleteLaunchTemplateResult,
  DeleteLaunchTemplateVersionsRequest,
  DeleteLaunchTemplateVersionsResult,
  DescribeLaunchTemplateVersionsRequest,
  DescribeLaunchTemplateVersionsResult,
  DescribeLaunchTemplatesRequest,
  DescribeLaunchTemplatesResult,
  GetLaunchTemplateDataRequest,
  GetLaunchTemplateDataResult,
  LaunchTemplate,
  LaunchTemplateSpecification,
  LaunchTemplateVersion,
  ModifyLaunchTemplateRequest,
  ModifyLaunchTemplateResult,
  RequestLaunchTemplateData,
  ResponseLaunchTemplateData,
  RunInstancesRequest,
  Tag,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { isWellFormedId } from "../lookup.js";
import { scopeOf } from "../network/module.js";
import { paginate } from "../pagination.js";
import type { Ec2State } from "../state.js";
import { omitEmptyTags, tagsBySpecification, validateTags } from "../tags.js";

export type TemplateRecord = LaunchTemplate & {
  /** Internal: versions by number (deleted ones are absent). */
  _versions: Record<string, LaunchTemplateVersion>;
};

const NAME_PATTERN = /^[a-zA-Z0-9().\-/_]{3,128}$/;
const MAX_TEMPLATES = 5000;
const MAX_VERSIONS = 10000;

const err = Ec2Errors.custom;
const nameNotFound = () => err("InvalidLaunchTemplateName.NotFoundException", "At least one of the launch templates specified in the request does not exist.");
const idNotFound = (id: string) => err("InvalidLaunchTemplateId.NotFound", `The specified launch template, with template ID ${id}, does not exist.`);
const idMalformed = (id: string) => err("InvalidLaunchTemplateId.Malformed", `The specified ID for the launch template (${id}) is malformed.`);
const nameMalformed = () =>
  err(
    "InvalidLaunchTemplateName.MalformedException",
    "A launch template name must be between 3 and 128 characters, and may contain letters, numbers, and the following characters: - ( ) . / _.",
  );
const versionNotFound = (version: string, id: string) =>
  err("InvalidLaunchTemplateId.VersionNotFound", `Could not find the specified version ${version} for the launch template with ID ${id}.`);

export class LaunchTemplatesModule {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
  ) {
    state.registerTaggable({
      prefix: "lt",
      resourceType: "launch-template",
      collection: (scope) => this.templates(scope),
      notFound: { code: "InvalidLaunchTemplateId.NotFound", noun: "launch template" },
    });
  }

  templates(scope: Scope): ScopedCollection<TemplateRecord> {
    return this.state.collection<TemplateRecord>("launch-templates", scope);
  }

  /** A template by id or name, with AWS's errors (one of the two is required). */
  find(scope: Scope, ref: { LaunchTemplateId?: string; LaunchTemplateName?: string }): TemplateRecord {
    const { LaunchTemplateId: id, LaunchTemplateName: name } = ref;
    if (id && name) throw Ec2Errors.invalidParameter("Both launch template ID and launch template name cannot be specified in the request.");
    if (id) {
      if (!isWellFormedId(id, "lt")) throw idMalformed(id);
      const found = this.templates(scope).get(id);
      if (!found) throw idNotFound(id);
      return found;
    }
    if (name) {
      if (!NAME_PATTERN.test(name)) throw nameMalformed();
      const found = this.templates(scope)
        .values()
        .find((t) => t.LaunchTemplateName === name);
      if (!found) throw nameNotFound();
      return found;
    }
    throw Ec2Errors.missingParameter("launch template ID or launch template name");
  }

  /** The version a "$Latest", "$Default" or number names. */
  version(template: TemplateRecord, version: string | undefined): LaunchTemplateVersion {
    const wanted = version === undefined || version === "$Default" ? template.DefaultVersionNumber! : version === "$Latest" ? template.LatestVersionNumber! : Number(version);
    if (!Number.isInteger(wanted) || wanted < 1) {
      throw Ec2Errors.invalidParameterValue(`Invalid launch template version: version must be a positive integer, $Latest or $Default. Found: ${version}`);
    }
    const found = template._versions[String(wanted)];
    if (!found) throw versionNotFound(String(version), template.LaunchTemplateId!);
    return found;
  }

  /** The launch template data a RunInstances-like call names (the template's version). */
  resolve(scope: Scope, spec: LaunchTemplateSpecification): { template: TemplateRecord; version: LaunchTemplateVersion } {
    const template = this.find(scope, spec);
    return { template, version: this.version(template, spec.Version) };
  }

  /**
   * RunInstances with LaunchTemplate: the template's parameters with the
   * call's on top (the call wins per parameter). Instances also get the
   * aws:ec2launchtemplate:id/version tags, as in EC2.
   */
  mergeIntoRunInstances(scope: Scope, input: RunInstancesRequest): RunInstancesRequest & { _systemTags?: Tag[] } {
    if (!input.LaunchTemplate) return input;
    const { template, version } = this.resolve(scope, input.LaunchTemplate);
    const data = version.LaunchTemplateData ?? {};
    const fromTemplate = templateToRunInstances(data);
    const merged: RunInstancesRequest & { _systemTags?: Tag[] } = { ...fromTemplate } as RunInstancesRequest;
    for (const [key, value] of Object.entries(input)) {
      if (value === undefined || key === "LaunchTemplate") continue;
      if (Array.isArray(value) && value.length === 0) continue;
      (merged as unknown as Record<string, unknown>)[key] = value;
    }
    // Tags: per resource type, the call's tags are added to the template's (the call wins per key).
    if (fromTemplate.TagSpecifications?.length && input.TagSpecifications?.length) {
      const byType = new Map<string, Map<string, string>>();
      for (const spec of [...fromTemplate.TagSpecifications, ...input.TagSpecifications]) {
        const tags = byType.get(spec.ResourceType!) ?? new Map<string, string>();
        for (const tag of spec.Tags ?? []) tags.set(tag.Key!, tag.Value ?? "");
        byType.set(spec.ResourceType!, tags);
      }
      merged.TagSpecifications = [...byType].map(([ResourceType, tags]) => ({
        ResourceType: ResourceType as never,
        Tags: [...tags].map(([Key, Value]) => ({ Key, Value })),
      }));
    }
    // A subnet or groups given in the call go onto the template's primary interface, if it has one.
    if (fromTemplate.NetworkInterfaces?.length && !input.NetworkInterfaces?.length && (input.SubnetId || input.SecurityGroupIds?.length)) {
      merged.NetworkInterfaces = fromTemplate.NetworkInterfaces.map((n) =>
        (n.DeviceIndex ?? 0) === 0 ? { ...n, SubnetId: input.SubnetId ?? n.SubnetId, Groups: input.SecurityGroupIds?.length ? input.SecurityGroupIds : n.Groups } : n,
      );
      delete merged.SubnetId;
      delete merged.SecurityGroupIds;
    }
    merged._systemTags = [
      { Key: "aws:ec2launchtemplate:id", Value: template.LaunchTemplateId! },
      { Key: "aws:ec2launchtemplate:version", Value: String(version.VersionNumber) },
    ];
    return merged;
  }

  // ---- Templates ----

  CreateLaunchTemplate(input: CreateLaunchTemplateRequest, ctx: CallContext): CreateLaunchTemplateResult {
    const scope = scopeOf(ctx);
    const name = input.LaunchTemplateName;
    if (!name) throw Ec2Errors.missingParameter("LaunchTemplateName");
    if (!NAME_PATTERN.test(name)) throw nameMalformed();
    if (!input.LaunchTemplateData) throw Ec2Errors.missingParameter("LaunchTemplateData");
    const tags = tagsBySpecification(input.TagSpecifications, ["launch-template"]).get("launch-template") ?? [];
    const data = checkData(input.LaunchTemplateData);
    checkDescription(input.VersionDescription);
    const templates = this.templates(scope);
    if (input.ClientToken) {
      const earlier = templates.values().find((t) => (t as { _clientToken?: string })._clientToken === input.ClientToken);
      if (earlier) return { LaunchTemplate: this.view(earlier) };
    }
    if (templates.values().some((t) => t.LaunchTemplateName === name)) {
      throw err("InvalidLaunchTemplateName.AlreadyExistsException", `Launch template name already in use.`);
    }
    if (templates.size >= MAX_TEMPLATES) throw err("LaunchTemplateLimitExceeded", "You've reached the maximum number of launch templates.");
    const id = ec2Id("lt");
    const now = this.cloud.clock.date();
    const createdBy = ctx.principalArn || `arn:aws:iam::${scope.account}:root`;
    const record: TemplateRecord & { _clientToken?: string } = {
      LaunchTemplateId: id,
      LaunchTemplateName: name,
      CreateTime: now,
      CreatedBy: createdBy,
      DefaultVersionNumber: 1,
      LatestVersionNumber: 1,
      Operator: { Managed: false },
      Tags: tags,
      _versions: {
        "1": {
          LaunchTemplateId: id,
          LaunchTemplateName: name,
          VersionNumber: 1,
          VersionDescription: input.VersionDescription,
          CreateTime: now,
          CreatedBy: createdBy,
          DefaultVersion: true,
          LaunchTemplateData: data,
          Operator: { Managed: false },
        },
      },
      _clientToken: input.ClientToken,
    };
    templates.put(id, record);
    return { LaunchTemplate: this.view(record) };
  }

  DescribeLaunchTemplates(input: DescribeLaunchTemplatesRequest, ctx: CallContext): DescribeLaunchTemplatesResult {
    const scope = scopeOf(ctx);
    const ids = input.LaunchTemplateIds ?? [];
    const names = input.LaunchTemplateNames ?? [];
    let all = this.templates(scope).values();
    if (ids.length || names.length) {
      const chosen = new Map<string, TemplateRecord>();
      for (const id of ids) {
        const found = this.find(scope, { LaunchTemplateId: id });
        chosen.set(found.LaunchTemplateId!, found);
      }
      for (const name of names) {
        const found = this.find(scope, { LaunchTemplateName: name });
        chosen.set(found.LaunchTemplateId!, found);
      }
      all = [...chosen.values()];
    }
    const predicate = compileFilters<TemplateRecord>(input.Filters, {
      fields: {
        "create-time": (t) => t.CreateTime,
        "launch-template-name": (t) => t.LaunchTemplateName,
        "launch-template-id": (t) => t.LaunchTemplateId,
      },
      tags: tagsOf,
    });
    const page = paginate(all.filter(predicate), input, { min: 1, max: 200, idsParameter: "LaunchTemplateIds" }, (t) => t.LaunchTemplateId!, ids.length > 0 || names.length > 0);
    return { LaunchTemplates: page.items.map((t) => this.view(t)), NextToken: page.nextToken };
  }

  DeleteLaunchTemplate(input: DeleteLaunchTemplateRequest, ctx: CallContext): DeleteLaunchTemplateResult {
    const scope = scopeOf(ctx);
    const template = this.find(scope, input);
    this.templates(scope).delete(template.LaunchTemplateId!);
    return { LaunchTemplate: this.view(template) };
  }

  ModifyLaunchTemplate(input: ModifyLaunchTemplateRequest, ctx: CallContext): ModifyLaunchTemplateResult {
    const scope = scopeOf(ctx);
    const template = this.find(scope, input);
    if (input.DefaultVersion !== undefined) {
      const version = this.version(template, input.DefaultVersion);
      const updated = this.templates(scope).update(template.LaunchTemplateId!, (t) => {
        t.DefaultVersionNumber = version.VersionNumber;
        for (const v of Object.values(t._versions)) v.DefaultVersion = v.VersionNumber === version.VersionNumber;
      })!;
      return { LaunchTemplate: this.view(updated) };
    }
    return { LaunchTemplate: this.view(template) };
  }

  // ---- Versions ----

  CreateLaunchTemplateVersion(input: CreateLaunchTemplateVersionRequest, ctx: CallContext): CreateLaunchTemplateVersionResult {
    const scope = scopeOf(ctx);
    const template = this.find(scope, input);
    if (!input.LaunchTemplateData) throw Ec2Errors.missingParameter("LaunchTemplateData");
    checkDescription(input.VersionDescription);
    let data = checkData(input.LaunchTemplateData);
    if (input.SourceVersion !== undefined) {
      // The new version inherits the source's parameters, except those given here.
      const source = this.version(template, input.SourceVersion);
      data = { ...(source.LaunchTemplateData ?? {}), ...data };
    }
    if (Object.keys(template._versions).length >= MAX_VERSIONS) {
      throw err("VersionLimitExceeded", `You've reached the maximum number of versions (${MAX_VERSIONS}) for launch template ${template.LaunchTemplateId}.`);
    }
    const number = template.LatestVersionNumber! + 1;
    const version: LaunchTemplateVersion = {
      LaunchTemplateId: template.LaunchTemplateId,
      LaunchTemplateName: template.LaunchTemplateName,
      VersionNumber: number,
      VersionDescription: input.VersionDescription,
      CreateTime: this.cloud.clock.date(),
      CreatedBy: ctx.principalArn || `arn:aws:iam::${scope.account}:root`,
      DefaultVersion: false,
      LaunchTemplateData: data,
      Operator: { Managed: false },
    };
    this.templates(scope).update(template.LaunchTemplateId!, (t) => {
      t._versions[String(number)] = version;
      t.LatestVersionNumber = number;
    });
    return { LaunchTemplateVersion: version };
  }

  DescribeLaunchTemplateVersions(input: DescribeLaunchTemplateVersionsRequest, ctx: CallContext): DescribeLaunchTemplateVersionsResult {
    const scope = scopeOf(ctx);
    const wanted = input.Versions ?? [];
    let versions: LaunchTemplateVersion[] = [];
    if (input.LaunchTemplateId || input.LaunchTemplateName) {
      const template = this.find(scope, input);
      if (wanted.length) versions = [...new Map(wanted.map((v) => this.version(template, v)).map((v) => [v.VersionNumber, v])).values()];
      else versions = Object.values(template._versions);
      const min = input.MinVersion !== undefined ? this.versionNumber(template, input.MinVersion) : undefined;
      const max = input.MaxVersion !== undefined ? this.versionNumber(template, input.MaxVersion) : undefined;
      versions = versions.filter((v) => (min === undefined || v.VersionNumber! >= min) && (max === undefined || v.VersionNumber! <= max));
    } else {
      // Without a template: the $Latest and/or $Default versions of every template.
      const latest = wanted.includes("$Latest");
      const dflt = wanted.includes("$Default");
      if (!latest && !dflt) {
        throw Ec2Errors.invalidParameterCombination("If you do not specify a launch template ID or name, you must specify $Latest, $Default, or both for the versions.");
      }
      for (const template of this.templates(scope).values()) {
        const numbers = new Set<number>();
        if (latest) numbers.add(template.LatestVersionNumber!);
        if (dflt) numbers.add(template.DefaultVersionNumber!);
        for (const n of numbers) versions.push(template._versions[String(n)]);
      }
    }
    const predicate = compileFilters<LaunchTemplateVersion>(input.Filters, {
      fields: {
        "create-time": (v) => v.CreateTime,
        "ebs-optimized": (v) => v.LaunchTemplateData?.EbsOptimized,
        "http-endpoint": (v) => v.LaunchTemplateData?.MetadataOptions?.HttpEndpoint,
        "http-protocol-ipv4": (v) => v.LaunchTemplateData?.MetadataOptions?.HttpEndpoint,
        "host-resource-group-arn": (v) => v.LaunchTemplateData?.Placement?.HostResourceGroupArn,
        "http-tokens": (v) => v.LaunchTemplateData?.MetadataOptions?.HttpTokens,
        "iam-instance-profile": (v) => [v.LaunchTemplateData?.IamInstanceProfile?.Arn, v.LaunchTemplateData?.IamInstanceProfile?.Name],
        "image-id": (v) => v.LaunchTemplateData?.ImageId,
        "instance-type": (v) => v.LaunchTemplateData?.InstanceType,
        "is-default-version": (v) => v.DefaultVersion,
        "kernel-id": (v) => v.LaunchTemplateData?.KernelId,
        "license-configuration-arn": (v) => v.LaunchTemplateData?.LicenseSpecifications?.map((l) => l.LicenseConfigurationArn),
        "network-card-index": (v) => v.LaunchTemplateData?.NetworkInterfaces?.map((n) => n.NetworkCardIndex),
        "ram-disk-id": (v) => v.LaunchTemplateData?.RamDiskId,
      },
    });
    const page = paginate(
      versions.filter(predicate),
      input,
      { min: 1, max: 200 },
      (v) => `${v.LaunchTemplateId}/${String(v.VersionNumber).padStart(6, "0")}`,
    );
    return { LaunchTemplateVersions: page.items, NextToken: page.nextToken };
  }

  private versionNumber(template: TemplateRecord, version: string): number {
    if (version === "$Latest") return template.LatestVersionNumber!;
    if (version === "$Default") return template.DefaultVersionNumber!;
    const n = Number(version);
    if (!Number.isInteger(n) || n < 1) throw Ec2Errors.invalidParameterValue(`Invalid launch template version: ${version}`);
    return n;
  }

  DeleteLaunchTemplateVersions(input: DeleteLaunchTemplateVersionsRequest, ctx: CallContext): DeleteLaunchTemplateVersionsResult {
    const scope = scopeOf(ctx);
    const template = this.find(scope, input);
    const versions = input.Versions ?? [];
    if (!versions.length) throw Ec2Errors.missingParameter("LaunchTemplateVersion");
    const ok: DeleteLaunchTemplateVersionsResult["SuccessfullyDeletedLaunchTemplateVersions"] = [];
    const failed: DeleteLaunchTemplateVersionsResult["UnsuccessfullyDeletedLaunchTemplateVersions"] = [];
    const doomed: number[] = [];
    const base = { LaunchTemplateId: template.LaunchTemplateId, LaunchTemplateName: template.LaunchTemplateName };
    for (const text of versions) {
      const n = Number(text);
      if (!Number.isInteger(n) || n < 1) {
        failed.push({ ...base, ResponseError: { Code: "launchTemplateVersionDoesNotExist", Message: "The specified launch template version does not exist." } });
        continue;
      }
      if (!template._versions[String(n)]) {
        failed.push({ ...base, VersionNumber: n, ResponseError: { Code: "launchTemplateVersionDoesNotExist", Message: "The specified launch template version does not exist." } });
      } else if (n === template.DefaultVersionNumber) {
        failed.push({
          ...base,
          VersionNumber: n,
          ResponseError: { Code: "unexpectedError", Message: "Cannot delete the default version of a launch template. Use DeleteLaunchTemplate to delete the template." },
        });
      } else {
        doomed.push(n);
        ok.push({ ...base, VersionNumber: n });
      }
    }
    if (doomed.length) {
      // The latest version number does not go back down (new versions keep counting).
      this.templates(scope).update(template.LaunchTemplateId!, (t) => {
        for (const n of doomed) delete t._versions[String(n)];
      });
    }
    return { SuccessfullyDeletedLaunchTemplateVersions: ok, UnsuccessfullyDeletedLaunchTemplateVersions: failed };
  }

  GetLaunchTemplateData(input: GetLaunchTemplateDataRequest, ctx: CallContext): GetLaunchTemplateDataResult {
    const scope = scopeOf(ctx);
    const instance = this.state.instanceLookup.find(scope, input.InstanceId);
    if (!instance) {
      if (!isWellFormedId(input.InstanceId ?? "", "i")) throw Ec2Errors.malformed("InvalidInstanceID.Malformed", input.InstanceId ?? "", "i-");
      throw Ec2Errors.notFound("InvalidInstanceID.NotFound", "instance", [input.InstanceId]);
    }
    const tags = (instance.Tags ?? []).filter((t) => !t.Key?.startsWith("aws:"));
    const data: ResponseLaunchTemplateData = {
      ImageId: instance.ImageId,
      InstanceType: instance.InstanceType,
      KeyName: instance.KeyName,
      Monitoring: { Enabled: instance.Monitoring?.State === "enabled" || instance.Monitoring?.State === "pending" },
      Placement: { AvailabilityZone: instance.Placement?.AvailabilityZone, GroupName: "", Tenancy: instance.Placement?.Tenancy },
      EbsOptimized: instance.EbsOptimized,
      DisableApiTermination: instance._disableApiTermination ?? false,
      DisableApiStop: instance._disableApiStop ?? false,
      InstanceInitiatedShutdownBehavior: instance._shutdownBehavior ?? "stop",
      IamInstanceProfile: instance.IamInstanceProfile?.Arn ? { Arn: instance.IamInstanceProfile.Arn } : undefined,
      UserData: instance._userData,
      NetworkInterfaces: [
        {
          AssociatePublicIpAddress: instance._autoPublicIp,
          DeleteOnTermination: true,
          Description: "",
          DeviceIndex: 0,
          Groups: (instance.SecurityGroups ?? []).map((g) => g.GroupId!),
          Ipv6Addresses: [],
          PrivateIpAddresses: [{ Primary: true, PrivateIpAddress: instance.PrivateIpAddress }],
          SubnetId: instance.SubnetId,
          NetworkCardIndex: 0,
        },
      ],
      CpuOptions: instance.CpuOptions,
      CapacityReservationSpecification: { CapacityReservationPreference: "open" },
      HibernationOptions: { Configured: false },
      MetadataOptions: {
        HttpTokens: instance.MetadataOptions?.HttpTokens,
        HttpPutResponseHopLimit: instance.MetadataOptions?.HttpPutResponseHopLimit,
        HttpEndpoint: instance.MetadataOptions?.HttpEndpoint,
        HttpProtocolIpv6: instance.MetadataOptions?.HttpProtocolIpv6,
        InstanceMetadataTags: instance.MetadataOptions?.InstanceMetadataTags,
      },
      EnclaveOptions: { Enabled: false },
      PrivateDnsNameOptions: { HostnameType: "ip-name", EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
      MaintenanceOptions: { AutoRecovery: "default" },
      TagSpecifications: tags.length ? [{ ResourceType: "instance", Tags: tags }] : undefined,
    };
    if (instance.InstanceLifecycle === "spot") data.InstanceMarketOptions = { MarketType: "spot" };
    return { LaunchTemplateData: data };
  }

  private view(record: TemplateRecord): LaunchTemplate {
    const { _versions, ...template } = record as TemplateRecord & { _clientToken?: string };
    delete (template as { _clientToken?: string })._clientToken;
    return omitEmptyTags(template);
  }
}

/** Checks launch template data as CreateLaunchTemplate(Version) does, and returns it as stored. */
function checkData(data: RequestLaunchTemplateData): ResponseLaunchTemplateData {
  for (const spec of data.TagSpecifications ?? []) {
    if (!spec.ResourceType) throw Ec2Errors.missingParameter("LaunchTemplateTagSpecificationRequest.ResourceType");
    if (!["instance", "volume", "network-interface", "spot-instances-request", "elastic-gpu"].includes(spec.ResourceType)) {
      throw Ec2Errors.invalidParameterValue(`'${spec.ResourceType}' is not a valid taggable resource type for this operation.`);
    }
    validateTags(spec.Tags ?? []);
  }
  if (data.UserData !== undefined) {
    const text = data.UserData.replace(/\s+/g, "");
    if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 === 1) throw Ec2Errors.invalidParameterValue("Invalid BASE64 encoding of user data.");
  }
  if (data.ImageId !== undefined && !/^(ami-[0-9a-f]{8}([0-9a-f]{9})?|resolve:ssm:.+)$/.test(data.ImageId)) {
    throw Ec2Errors.custom("InvalidAMIID.Malformed", `Invalid id: "${data.ImageId}" (expecting "ami-...")`);
  }
  // The response shapes mirror the request's; the stored copy drops nothing the API echoes.
  return JSON.parse(JSON.stringify(data)) as ResponseLaunchTemplateData;
}

function checkDescription(description: string | undefined): void {
  if (description !== undefined && description.length > 255) {
    throw Ec2Errors.invalidParameterValue("Version description must be no longer than 255 characters");
  }
}

/** Launch template data as the RunInstances parameters it stands for. */
function templateToRunInstances(data: ResponseLaunchTemplateData): RunInstancesRequest {
  const out: RunInstancesRequest = {
    MinCount: undefined as unknown as number,
    MaxCount: undefined as unknown as number,
    ImageId: data.ImageId,
    InstanceType: data.InstanceType,
    KeyName: data.KeyName,
    SecurityGroupIds: data.SecurityGroupIds,
    SecurityGroups: data.SecurityGroups,
    UserData: data.UserData,
    EbsOptimized: data.EbsOptimized,
    DisableApiTermination: data.DisableApiTermination,
    DisableApiStop: data.DisableApiStop,
    InstanceInitiatedShutdownBehavior: data.InstanceInitiatedShutdownBehavior,
    KernelId: data.KernelId,
    RamdiskId: data.RamDiskId,
    Monitoring: data.Monitoring?.Enabled !== undefined ? { Enabled: data.Monitoring.Enabled } : undefined,
    IamInstanceProfile: data.IamInstanceProfile,
    Placement: data.Placement as RunInstancesRequest["Placement"],
    CreditSpecification: data.CreditSpecification?.CpuCredits ? { CpuCredits: data.CreditSpecification.CpuCredits } : undefined,
    MetadataOptions: data.MetadataOptions as RunInstancesRequest["MetadataOptions"],
    CpuOptions: data.CpuOptions,
    HibernationOptions: data.HibernationOptions,
    EnclaveOptions: data.EnclaveOptions,
    InstanceMarketOptions: data.InstanceMarketOptions as RunInstancesRequest["InstanceMarketOptions"],
    PrivateDnsNameOptions: data.PrivateDnsNameOptions,
    MaintenanceOptions: data.MaintenanceOptions,
    BlockDeviceMappings: data.BlockDeviceMappings?.map((m) => ({
      DeviceName: m.DeviceName,
      VirtualName: m.VirtualName,
      NoDevice: m.NoDevice,
      Ebs: m.Ebs
        ? {
            DeleteOnTermination: m.Ebs.DeleteOnTermination,
            Encrypted: m.Ebs.Encrypted,
            Iops: m.Ebs.Iops,
            KmsKeyId: m.Ebs.KmsKeyId,
            SnapshotId: m.Ebs.SnapshotId,
            VolumeSize: m.Ebs.VolumeSize,
            VolumeType: m.Ebs.VolumeType,
            Throughput: m.Ebs.Throughput,
          }
        : undefined,
    })),
    NetworkInterfaces: data.NetworkInterfaces?.map((n) => ({
      AssociatePublicIpAddress: n.AssociatePublicIpAddress,
      DeleteOnTermination: n.DeleteOnTermination,
      Description: n.Description,
      DeviceIndex: n.DeviceIndex,
      Groups: n.Groups,
      NetworkInterfaceId: n.NetworkInterfaceId,
      PrivateIpAddress: n.PrivateIpAddress,
      SubnetId: n.SubnetId,
      NetworkCardIndex: n.NetworkCardIndex,
    })),
    TagSpecifications: data.TagSpecifications?.map((t) => ({ ResourceType: t.ResourceType, Tags: t.Tags })),
  };
  for (const key of Object.keys(out) as Array<keyof RunInstancesRequest>) if (out[key] === undefined) delete out[key];
  return out;
}
