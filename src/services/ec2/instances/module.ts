/**
 * Instances: RunInstances and the lifecycle on the clock. Each state change
 * that takes time (pending → running, stopping → stopped, shutting-down →
 * terminated, terminated → gone an hour later) is one scheduler job per
 * instance, its duration decided by the driver. Public addresses are
 * assigned on the way to running and released on the way to stopped unless
 * an Elastic IP is associated.
 */
import type { Cloud } from "../../../cloud.js";
import type { Job } from "../../../clock/scheduler.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  InstanceStateChange,
  InstanceStateName,
  RebootInstancesRequest,
  Reservation,
  RunInstancesRequest,
  StartInstancesRequest,
  StartInstancesResult,
  StopInstancesRequest,
  StopInstancesResult,
  TerminateInstancesRequest,
  TerminateInstancesResult,
} from "../../../generated/ec2.js";
import type { Scope, ScopedCollection } from "../../../state/documents.js";
import { IamStore } from "../../iam/store.js";
import type { CallContext } from "../../types.js";
import type { AddressesModule } from "../addresses/module.js";
import { Ec2Errors } from "../errors.js";
import { ClientTokens } from "../idempotency.js";
import type { ImagesModule } from "../images/module.js";
import type { KeyPairsModule } from "../keypairs/module.js";
import { KINDS } from "../lookup.js";
import { cidrSize, parseCidr4 } from "../network/cidr.js";
import { scopeOf, type NetworkModule } from "../network/module.js";
import { allocatePublicIp, privateDnsName } from "../network/public-ips.js";
import type { SecurityGroupsModule } from "../network/security-groups.js";
import type { Ec2State, InstanceLookup, InstanceRecord } from "../state.js";
import type { DriverInstance, DriverVolume, InstanceDriver } from "./driver.js";
import { checkInstanceIds, planLaunch, type LaunchPlan } from "./launch.js";
import { MinimalInstanceStorage } from "./minimal-storage.js";
import { MockDriver } from "./mock-driver.js";
import { attachmentsByInstance, instanceView, isUp, publicIpOf, stateOf } from "./records.js";
import { freeAddress, macAddress } from "../network/interface-records.js";
import { interfaceAddresses, interfaces, secondaryInterfaces } from "../network/interfaces.js";

const JOB_TRANSITION = "ec2.instance.transition";
/** Terminated instances stay visible this long. */
export const TERMINATED_VISIBLE_MS = 3_600_000;

type Target = "running" | "stopped" | "terminated" | "gone";

export interface InstanceDeps {
  network: NetworkModule;
  groups: SecurityGroupsModule;
  images: ImagesModule;
  keys: KeyPairsModule;
  addresses: AddressesModule;
}

/** Extra facts of a launch that doesn't come from RunInstances (spot requests and fleets). */
export interface LaunchExtras {
  spotInstanceRequestId?: string;
  /** One spot request per instance launched (RunInstances with spot market options). */
  spotInstanceRequestIds?: string[];
  lifecycle?: "spot";
  requesterId?: string;
}

/** Told when an instance state changes (spot requests follow their instances). */
export type StateListener = (scope: Scope, instance: InstanceRecord, previous: InstanceStateName, reason: "user" | "system") => void;

export class InstancesModule implements InstanceLookup {
  readonly driver: InstanceDriver;
  private readonly clientTokens: ClientTokens;
  private readonly iam: IamStore;
  private readonly listeners: StateListener[] = [];
  /** Called when an instance starts running or stops, so metrics publishing follows. */
  onActivity: ((scope: Scope) => void) | undefined;
  /** RunInstances with LaunchTemplate: the template's parameters merged under the call's (set by the launch templates module). */
  templateResolver: ((scope: Scope, input: RunInstancesRequest) => RunInstancesRequest) | undefined;
  /** Creates or attaches a launch's interfaces at device index 1 and up (set by the network interfaces module). */
  secondaryInterfaceLauncher: ((scope: Scope, instance: InstanceRecord, specs: LaunchPlan["secondaryInterfaces"]) => void) | undefined;
  /** RunInstances with InstanceMarketOptions.MarketType=spot is delegated to the spot module. */
  spotLauncher: ((scope: Scope, input: RunInstancesRequest, ctx: CallContext) => Reservation) | undefined;

  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly deps: InstanceDeps,
    driver?: InstanceDriver,
  ) {
    this.driver = driver ?? new MockDriver();
    this.clientTokens = new ClientTokens(state);
    this.iam = new IamStore(cloud);
    state.registerTaggable({
      prefix: "i",
      resourceType: "instance",
      collection: (scope) => this.instances(scope),
      notFound: { code: KINDS.instance.notFoundCode, noun: KINDS.instance.noun },
      visible: (record, now) => isVisible(record as InstanceRecord, now),
    });
    state.provideInstanceLookup(this);
    if (!state.hasStorage()) state.provideStorage(new MinimalInstanceStorage(cloud, state));
    state.onAttachmentsChanged((scope, id) => {
      const record = this.live(scope, id);
      if (record && isUp(record)) this.driver.volumesChanged?.(this.driverView(scope, record));
    });
    deps.addresses.bindHolders({
      live: (scope, id) => this.live(scope, id),
      elasticIpChanged: (scope, id, address) => this.elasticIpChanged(scope, id, address),
      publicAddressesInUse: (scope) => this.publicAddressesInUse(scope),
    });
  }

  /** The modules an instance depends on (the metadata service reads its network and key pair). */
  get dependencies(): InstanceDeps {
    return this.deps;
  }

  onStart(): void {
    if (this.driver.resume) {
      const live: DriverInstance[] = [];
      for (const scope of this.cloud.documents.collection("ec2", "instances").scopes()) {
        for (const r of this.instances(scope).values()) if (isUp(r)) live.push(this.driverView(scope, r));
      }
      this.driver.resume(live);
    }
    this.cloud.scheduler.on(JOB_TRANSITION, (job: Job<{ to: Target; items: Array<{ id: string; seq: number }> }>) => {
      const scope = { account: job.account, region: job.region };
      for (const item of job.payload.items) this.complete(scope, item.id, job.payload.to, item.seq);
      this.flushTransitions();
    });
  }

  async onStop(): Promise<void> {
    await this.driver.shutdown?.();
  }

  async onReset(): Promise<void> {
    await this.driver.shutdown?.(true);
  }

  instances(scope: Scope): ScopedCollection<InstanceRecord> {
    return this.state.instances(scope);
  }

  addListener(listener: StateListener): void {
    this.listeners.push(listener);
  }

  find(scope: Scope, instanceId: string): InstanceRecord | undefined {
    const record = this.instances(scope).get(instanceId);
    return record && isVisible(record, this.cloud.clock.now()) ? record : undefined;
  }

  /** The instance unless it is terminated (or gone). */
  live(scope: Scope, instanceId: string): InstanceRecord | undefined {
    const record = this.find(scope, instanceId);
    return record && record.State?.Name !== "terminated" ? record : undefined;
  }

  /** Visible instances named by ids, or InvalidInstanceID.NotFound naming the missing ones. */
  require(scope: Scope, ids: readonly string[]): InstanceRecord[] {
    checkInstanceIds(ids);
    const found: InstanceRecord[] = [];
    const missing: string[] = [];
    for (const id of new Set(ids)) {
      const record = this.find(scope, id);
      if (record) found.push(record);
      else missing.push(id);
    }
    if (missing.length) throw Ec2Errors.notFound(KINDS.instance.notFoundCode, KINDS.instance.noun, missing);
    return found;
  }

  driverView(scope: Scope, record: InstanceRecord): DriverInstance {
    return {
      scope,
      instanceId: record.InstanceId!,
      instanceType: record.InstanceType!,
      imageId: record.ImageId!,
      // Only a driver that boots something needs the image's name (its default user) and the key; the mock's views are built often.
      imageName: this.driver.name === "mock" ? undefined : this.deps.images.find(scope, record.ImageId!)?.Name,
      publicKey: this.driver.name === "mock" || !record.KeyName ? undefined : this.deps.keys.findByName(scope, record.KeyName)?.PublicKey,
      architecture: record.Architecture ?? "x86_64",
      availabilityZone: record.Placement?.AvailabilityZone ?? "",
      privateIpAddress: record.PrivateIpAddress,
      publicIpAddress: publicIpOf(record),
      userData: record._userData ? Buffer.from(record._userData, "base64") : Buffer.alloc(0),
      runningSince: record._runningSince,
      bootStartedAt: record._bootStartedAt,
      launchedAt: record._createdAt,
      spot: record.InstanceLifecycle === "spot",
      volumes: this.driver.volumesChanged ? this.dataVolumes(scope, record) : undefined,
    };
  }

  /** The data volumes attached to an instance (not its root, not those still attaching or detaching). */
  private dataVolumes(scope: Scope, record: InstanceRecord): DriverVolume[] {
    const out: DriverVolume[] = [];
    for (const volume of this.state.volumes(scope).values()) {
      for (const a of volume.Attachments ?? []) {
        if (a.InstanceId !== record.InstanceId || a.State !== "attached" || a.Device === record.RootDeviceName) continue;
        out.push({ volumeId: volume.VolumeId!, device: a.Device!, attachedAt: new Date(a.AttachTime ?? 0).getTime() });
      }
    }
    return out;
  }

  /** The reservation as RunInstances answers it. */
  reservationView(scope: Scope, records: InstanceRecord[]): Reservation {
    const first = records[0];
    const mappings = attachmentsByInstance(this.state.volumes(scope).values());
    const secondary = secondaryInterfaces(this.state, scope);
    return {
      ReservationId: first._reservationId,
      OwnerId: scope.account,
      RequesterId: first._requesterId,
      Groups: [],
      Instances: records.map((r) => instanceView(r, scope, mappings.get(r.InstanceId!), secondary.get(r.InstanceId!))),
    };
  }

  // ---- RunInstances ----

  RunInstances(request: RunInstancesRequest, ctx: CallContext): Reservation {
    const scope = scopeOf(ctx);
    if (request.ClientToken) {
      this.clientTokens.earlier(scope, "RunInstances", request.ClientToken, request);
      const existing = this.instances(scope)
        .values()
        .filter((i) => i.ClientToken === request.ClientToken);
      if (existing.length) return this.reservationView(scope, existing);
    }
    const input = this.withTemplate(scope, request);
    let reservation: Reservation;
    if (input.InstanceMarketOptions?.MarketType === "spot") {
      if (!this.spotLauncher) throw Ec2Errors.unsupportedOperation("Spot launches are not available.");
      reservation = this.spotLauncher(scope, input, ctx);
    } else {
      if (input.InstanceMarketOptions?.MarketType) throw Ec2Errors.invalidValueFor(input.InstanceMarketOptions.MarketType, "MarketType");
      reservation = this.launch(scope, input, {});
    }
    this.clientTokens.remember(scope, "RunInstances", request.ClientToken, request, (reservation.Instances ?? []).map((i) => i.InstanceId!));
    return reservation;
  }

  /** The request with its launch template's parameters merged in (the request unchanged without one). */
  withTemplate(scope: Scope, input: RunInstancesRequest): RunInstancesRequest {
    if (!input.LaunchTemplate) return input;
    if (!this.templateResolver) throw Ec2Errors.unsupportedOperation("Launch templates are not available.");
    return this.templateResolver(scope, input);
  }

  /** Checks a launch without making it (spot requests validate their specification up front). */
  validateLaunch(scope: Scope, input: RunInstancesRequest): LaunchPlan {
    return planLaunch({ ...this.deps, iam: this.iam, findInterface: (s, id) => this.findInterface(s, id) }, scope, input, () => this.liveRecords(scope));
  }

  /** An interface by id: one of its own, or an instance's primary one (shown in use). */
  private findInterface(scope: Scope, id: string) {
    const own = interfaces(this.state, scope).get(id);
    if (own) return own;
    const holder = this.liveRecords(scope).find((i) => i._eni.id === id);
    return holder ? { NetworkInterfaceId: id, Status: "in-use" as const, Attachment: { InstanceId: holder.InstanceId } } : undefined;
  }

  /** Validates and launches: RunInstances, spot requests and fleets all come through here. */
  launch(scope: Scope, input: RunInstancesRequest, extras: LaunchExtras): Reservation {
    const plan = this.validateLaunch(scope, input);
    const records = this.cloud.documents.transaction(() => {
      const created = this.createInstances(scope, plan, extras);
      this.flushTransitions();
      return created;
    });
    this.onActivity?.(scope);
    return this.reservationView(scope, records);
  }

  private liveRecords(scope: Scope): InstanceRecord[] {
    return this.instances(scope)
      .values()
      .filter((i) => i.State?.Name !== "terminated");
  }

  private createInstances(scope: Scope, plan: LaunchPlan, extras: LaunchExtras): InstanceRecord[] {
    const now = this.cloud.clock.now();
    const reservationId = ec2Id("r");
    const subnet = plan.subnet;
    const usedPrivate = new Set(this.liveRecords(scope).filter((i) => i.SubnetId === subnet.SubnetId).map((i) => i.PrivateIpAddress!));
    for (const ip of interfaceAddresses(this.state, scope, subnet.SubnetId!)) if (ip !== plan.primaryInterface?.record.PrivateIpAddress) usedPrivate.add(ip);
    const cidr = parseCidr4(subnet.CidrBlock!)!;
    const free = cidrSize(cidr) - 5 - usedPrivate.size;
    if (plan.privateIp && usedPrivate.has(plan.privateIp)) throw Ec2Errors.custom("InvalidIPAddress.InUse", `Address ${plan.privateIp} is in use.`);
    if (free < plan.minCount) {
      throw Ec2Errors.custom("InsufficientFreeAddressesInSubnet", `There are not enough free addresses in subnet '${subnet.SubnetId}' to satisfy the requested number of instances.`);
    }
    const count = Math.min(plan.count, free);
    const publicInUse = plan.autoPublicIp ? this.publicAddressesInUse(scope) : new Set<string>();
    const records: InstanceRecord[] = [];
    for (let index = 0; index < count; index++) {
      const instanceId = ec2Id("i");
      const privateIp = plan.privateIp ?? freeAddress(cidr, usedPrivate, subnet.SubnetId!);
      usedPrivate.add(privateIp);
      const record: InstanceRecord = {
        InstanceId: instanceId,
        ImageId: plan.image.ImageId,
        State: stateOf("pending"),
        PrivateDnsName: privateDnsName(scope.region, privateIp),
        PublicDnsName: "",
        StateTransitionReason: "",
        KeyName: plan.keyName,
        AmiLaunchIndex: index,
        ProductCodes: [],
        InstanceType: plan.type.InstanceType,
        LaunchTime: new Date(now),
        Placement: {
          AvailabilityZone: subnet.AvailabilityZone,
          AvailabilityZoneId: subnet.AvailabilityZoneId,
          GroupName: "",
          Tenancy: plan.tenancy,
        },
        Monitoring: { State: plan.monitoring ? "enabled" : "disabled" },
        SubnetId: subnet.SubnetId,
        VpcId: subnet.VpcId,
        PrivateIpAddress: privateIp,
        Architecture: plan.image.Architecture,
        RootDeviceType: "ebs",
        RootDeviceName: plan.rootDeviceName,
        IamInstanceProfile: plan.profile,
        EbsOptimized: plan.ebsOptimized,
        EnaSupport: plan.image.EnaSupport ?? true,
        Hypervisor: "xen",
        ClientToken: plan.clientToken ?? "",
        SecurityGroups: plan.groups.map((g) => ({ GroupId: g.GroupId, GroupName: g.GroupName })),
        SourceDestCheck: true,
        Tags: plan.instanceTags,
        VirtualizationType: "hvm",
        CpuOptions: { CoreCount: plan.type.VCpuInfo?.DefaultCores, ThreadsPerCore: plan.type.VCpuInfo?.DefaultThreadsPerCore },
        CapacityReservationSpecification: { CapacityReservationPreference: "open" },
        HibernationOptions: { Configured: false },
        MetadataOptions: {
          State: "applied",
          HttpTokens: plan.metadataHttpTokens,
          HttpPutResponseHopLimit: plan.metadataHttpTokens === "required" ? 2 : 1,
          HttpEndpoint: "enabled",
          HttpProtocolIpv6: "disabled",
          InstanceMetadataTags: "disabled",
        },
        EnclaveOptions: { Enabled: false },
        BootMode: plan.image.BootMode,
        CurrentInstanceBootMode: plan.image.BootMode === "uefi" ? "uefi" : "legacy-bios",
        PlatformDetails: plan.image.PlatformDetails ?? "Linux/UNIX",
        UsageOperation: plan.image.UsageOperation ?? "RunInstances",
        UsageOperationUpdateTime: new Date(now),
        PrivateDnsNameOptions: { HostnameType: "ip-name", EnableResourceNameDnsARecord: false, EnableResourceNameDnsAAAARecord: false },
        MaintenanceOptions: { AutoRecovery: "default" },
        InstanceLifecycle: extras.lifecycle,
        SpotInstanceRequestId: extras.spotInstanceRequestIds?.[index] ?? extras.spotInstanceRequestId,
        _userData: plan.userData,
        _reservationId: reservationId,
        _requesterId: extras.requesterId,
        _createdAt: now,
        _autoPublicIp: plan.autoPublicIp,
        _bootStartedAt: now,
        _disableApiTermination: plan.disableApiTermination,
        _disableApiStop: plan.disableApiStop,
        _shutdownBehavior: plan.shutdownBehavior,
        _eni: { id: ec2Id("eni"), attachmentId: ec2Id("eni-attach"), mac: macAddress(), tags: plan.interfaceTags.length ? plan.interfaceTags : undefined },
        _cpuCredits: plan.cpuCredits,
        _profileAssociation: plan.profile ? { id: ec2Id("iip-assoc"), at: now } : undefined,
      };
      if (plan.autoPublicIp) {
        record._publicIp = allocatePublicIp(scope.region, publicInUse);
        publicInUse.add(record._publicIp);
      }
      this.state.storage.launchVolumes(scope, {
        instanceId,
        availabilityZone: subnet.AvailabilityZone!,
        rootDeviceName: plan.rootDeviceName,
        mappings: plan.mappings,
        tags: plan.volumeTags,
      });
      const existing = plan.primaryInterface;
      if (existing) {
        // The existing interface becomes the primary one, which lives in the instance record.
        record._eni = {
          id: existing.record.NetworkInterfaceId!,
          attachmentId: ec2Id("eni-attach"),
          mac: existing.record.MacAddress!,
          description: existing.record.Description,
          deleteOnTermination: existing.deleteOnTermination,
          tags: existing.record.TagSet,
        };
        record.SourceDestCheck = existing.record.SourceDestCheck ?? true;
        interfaces(this.state, scope).delete(existing.record.NetworkInterfaceId!);
      }
      this.instances(scope).put(instanceId, record);
      if (plan.secondaryInterfaces.length) {
        if (!this.secondaryInterfaceLauncher) throw Ec2Errors.unsupportedOperation("Secondary network interfaces are not available.");
        this.secondaryInterfaceLauncher(scope, record, plan.secondaryInterfaces);
        for (const ip of interfaceAddresses(this.state, scope, subnet.SubnetId!)) usedPrivate.add(ip);
      }
      this.scheduleTransition(scope, record, "running", this.driver.boot(this.driverView(scope, record)).durationMs);
      records.push(record);
    }
    return records;
  }

  // ---- Start, stop, reboot, terminate ----

  StartInstances(input: StartInstancesRequest, ctx: CallContext): StartInstancesResult {
    const scope = scopeOf(ctx);
    const records = this.require(scope, input.InstanceIds ?? []);
    for (const record of records) {
      const name = record.State!.Name!;
      if (name === "terminated" || name === "shutting-down" || name === "stopping") {
        throw Ec2Errors.incorrectInstanceState(`The instance '${record.InstanceId}' is not in a state from which it can be started.`);
      }
    }
    const changes = records.map((record) => this.transition(scope, record, (r) => (r.State!.Name === "stopped" ? this.beginStart(scope, r) : undefined)));
    this.flushTransitions();
    this.onActivity?.(scope);
    return { StartingInstances: changes };
  }

  StopInstances(input: StopInstancesRequest, ctx: CallContext): StopInstancesResult {
    const scope = scopeOf(ctx);
    const records = this.require(scope, input.InstanceIds ?? []);
    for (const record of records) {
      const name = record.State!.Name!;
      if (name === "terminated" || name === "shutting-down") {
        throw Ec2Errors.incorrectInstanceState(`The instance '${record.InstanceId}' is not in a state from which it can be stopped.`);
      }
      if (record._disableApiStop && name !== "stopped") {
        throw Ec2Errors.operationNotPermitted(`The instance '${record.InstanceId}' may not be stopped. Modify its 'disableApiStop' instance attribute and try again.`);
      }
      if (record.InstanceLifecycle === "spot" && this.isOneTimeSpot(scope, record)) {
        throw Ec2Errors.unsupportedOperation(
          `You can't stop the Spot Instance '${record.InstanceId}' because it is associated with a one-time Spot Instance request. You can only stop Spot Instances associated with persistent Spot Instance requests.`,
        );
      }
    }
    const changes = records.map((record) =>
      this.transition(scope, record, (r) => (r.State!.Name === "running" || r.State!.Name === "pending" ? this.beginStop(scope, r, input.Force ?? false, "user") : undefined)),
    );
    this.flushTransitions();
    return { StoppingInstances: changes };
  }

  RebootInstances(input: RebootInstancesRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const records = this.require(scope, input.InstanceIds ?? []);
    for (const record of records) {
      if (record.State!.Name !== "running" && record.State!.Name !== "pending") {
        throw Ec2Errors.incorrectInstanceState(`The instance '${record.InstanceId}' is not in a state from which it can be rebooted.`);
      }
    }
    for (const record of records) this.driver.reboot(this.driverView(scope, record));
  }

  TerminateInstances(input: TerminateInstancesRequest, ctx: CallContext): TerminateInstancesResult {
    const scope = scopeOf(ctx);
    const records = this.require(scope, input.InstanceIds ?? []);
    for (const record of records) {
      if (record._disableApiTermination && record.State!.Name !== "terminated") {
        throw Ec2Errors.operationNotPermitted(`The instance '${record.InstanceId}' may not be terminated. Modify its 'disableApiTermination' instance attribute and try again.`);
      }
    }
    return { TerminatingInstances: records.map((record) => this.terminate(scope, record, "user")) };
  }

  /** Terminates an instance (users, spot interruptions, fleets); returns the state change. */
  terminate(scope: Scope, record: InstanceRecord, reason: "user" | "system"): InstanceStateChange {
    const change = this.transition(
      scope,
      record,
      (r) => {
        const name = r.State!.Name!;
        if (name === "terminated" || name === "shutting-down") return undefined;
        return this.beginTerminate(scope, r, reason);
      },
      reason,
    );
    this.flushTransitions();
    return change;
  }

  /** Stops an instance for the service (a spot interruption). */
  stopBySystem(scope: Scope, record: InstanceRecord): InstanceStateChange {
    const change = this.transition(
      scope,
      record,
      (r) => (r.State!.Name === "running" || r.State!.Name === "pending" ? this.beginStop(scope, r, false, "system") : undefined),
      "system",
    );
    this.flushTransitions();
    return change;
  }

  /** Starts a stopped instance for the service (a spot request resuming after a price stop). */
  startBySystem(scope: Scope, record: InstanceRecord): InstanceStateChange {
    const change = this.transition(scope, record, (r) => (r.State!.Name === "stopped" ? this.beginStart(scope, r) : undefined), "system");
    this.flushTransitions();
    this.onActivity?.(scope);
    return change;
  }

  /** Applies `begin` (which returns the state entered, or undefined for no change) and reports the change. */
  private transition(
    scope: Scope,
    record: InstanceRecord,
    begin: (record: InstanceRecord) => InstanceStateName | undefined,
    reason: "user" | "system" = "user",
  ): InstanceStateChange {
    const previous = stateOf(record.State!.Name!);
    const entered = begin(record);
    const current = entered ? stateOf(entered) : previous;
    if (entered) for (const listener of this.listeners) listener(scope, this.instances(scope).get(record.InstanceId!)!, previous.Name!, reason);
    return { InstanceId: record.InstanceId, PreviousState: previous, CurrentState: current };
  }

  private beginStart(scope: Scope, record: InstanceRecord): InstanceStateName {
    const now = this.cloud.clock.now();
    const updated = this.instances(scope).update(record.InstanceId!, (r) => {
      r._seq = (r._seq ?? 0) + 1;
      r.State = stateOf("pending");
      r.StateTransitionReason = "";
      delete r.StateReason;
      r.LaunchTime = new Date(now);
      r._bootStartedAt = now;
      if (r._autoPublicIp && !r._eip) r._publicIp = allocatePublicIp(scope.region, this.publicAddressesInUse(scope));
    })!;
    this.scheduleTransition(scope, updated, "running", this.driver.boot(this.driverView(scope, updated)).durationMs);
    return "pending";
  }

  private beginStop(scope: Scope, record: InstanceRecord, force: boolean, reason: "user" | "system"): InstanceStateName {
    const now = this.cloud.clock.now();
    const updated = this.instances(scope).update(record.InstanceId!, (r) => {
      this.endRun(r, now);
      r._seq = (r._seq ?? 0) + 1;
      r.State = stateOf("stopping");
      r.StateTransitionReason = reason === "user" ? `User initiated (${gmt(now)})` : `Service initiated (${gmt(now)})`;
      r.StateReason =
        reason === "user"
          ? { Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown" }
          : { Code: "Server.SpotInstanceShutdown", Message: "Server.SpotInstanceShutdown: The instance was stopped because the Spot price exceeded the bid price." };
      delete r._publicIp;
    })!;
    this.scheduleTransition(scope, updated, "stopped", this.driver.stop(this.driverView(scope, updated), force).durationMs);
    return "stopping";
  }

  private beginTerminate(scope: Scope, record: InstanceRecord, reason: "user" | "system"): InstanceStateName {
    const now = this.cloud.clock.now();
    const updated = this.instances(scope).update(record.InstanceId!, (r) => {
      this.endRun(r, now);
      r._seq = (r._seq ?? 0) + 1;
      r.State = stateOf("shutting-down");
      r.StateTransitionReason = reason === "user" ? `User initiated (${gmt(now)})` : `Service initiated (${gmt(now)})`;
      r.StateReason =
        reason === "user"
          ? { Code: "Client.UserInitiatedShutdown", Message: "Client.UserInitiatedShutdown: User initiated shutdown" }
          : { Code: "Server.SpotInstanceTermination", Message: "Server.SpotInstanceTermination: Spot instance termination" };
      delete r._publicIp;
      delete r._eip;
    })!;
    // The Elastic IP comes off as the instance shuts down, so it can be released right away.
    this.deps.addresses.instanceTerminated(scope, record.InstanceId!);
    this.scheduleTransition(scope, updated, "terminated", this.driver.terminate(this.driverView(scope, updated)).durationMs);
    return "shutting-down";
  }

  private endRun(record: InstanceRecord, now: number): void {
    if (record._runningSince !== undefined) record._lastRun = { start: record._runningSince, end: now };
    delete record._runningSince;
  }

  /** Transitions due together share one job (a launch of 500 instances is one job, not 500). */
  private readonly pendingTransitions = new Map<string, { scope: Scope; to: Target; due: number; items: Array<{ id: string; seq: number }> }>();

  private scheduleTransition(scope: Scope, record: InstanceRecord, to: Target, inMs: number): void {
    const due = this.cloud.clock.now() + inMs;
    const key = `${scope.account}\u0000${scope.region}\u0000${to}\u0000${due}`;
    let batch = this.pendingTransitions.get(key);
    if (!batch) this.pendingTransitions.set(key, (batch = { scope, to, due, items: [] }));
    batch.items.push({ id: record.InstanceId!, seq: record._seq ?? 0 });
  }

  /** Persists the transitions gathered by the current operation as scheduler jobs. */
  private flushTransitions(): void {
    for (const batch of this.pendingTransitions.values()) {
      this.cloud.scheduler.schedule({
        kind: JOB_TRANSITION,
        due: batch.due,
        account: batch.scope.account,
        region: batch.scope.region,
        payload: { to: batch.to, items: batch.items },
      });
    }
    this.pendingTransitions.clear();
  }

  /** A scheduled transition completes. */
  private complete(scope: Scope, instanceId: string, to: Target, seq: number): void {
    const record = this.instances(scope).get(instanceId);
    if (!record || (record._seq ?? 0) !== seq) return;
    const now = this.cloud.clock.now();
    const name = record.State!.Name!;
    if (to === "gone") {
      if (name === "terminated") {
        this.driver.release?.(this.driverView(scope, record));
        this.instances(scope).delete(instanceId);
      }
      return;
    }
    if (to === "running" && name === "pending") {
      this.instances(scope).update(instanceId, (r) => {
        r.State = stateOf("running");
        r._runningSince = now;
      });
      this.onActivity?.(scope);
    } else if (to === "stopped" && name === "stopping") {
      this.instances(scope).update(instanceId, (r) => void (r.State = stateOf("stopped")));
    } else if (to === "terminated" && name === "shutting-down") {
      this.cloud.documents.transaction(() => {
        this.instances(scope).update(instanceId, (r) => {
          r.State = stateOf("terminated");
          r._hideAfter = now + TERMINATED_VISIBLE_MS;
        });
        this.state.storage.instanceTerminated(scope, instanceId);
      });
      this.scheduleTransition(scope, record, "gone", TERMINATED_VISIBLE_MS);
    } else return;
    const updated = this.instances(scope).get(instanceId)!;
    for (const listener of this.listeners) listener(scope, updated, name, "system");
  }

  // ---- Addresses ----

  private elasticIpChanged(scope: Scope, instanceId: string, address: { publicIp: string; allocationId: string; associationId: string } | undefined): void {
    const updated = this.instances(scope).update(instanceId, (r) => {
      if (address) {
        r._eip = address;
        delete r._publicIp;
      } else {
        delete r._eip;
        if (isUp(r) && r._autoPublicIp) r._publicIp = allocatePublicIp(scope.region, this.publicAddressesInUse(scope));
      }
    });
    if (updated && isUp(updated)) this.driver.addressesChanged?.(this.driverView(scope, updated));
  }

  publicAddressesInUse(scope: Scope): Set<string> {
    const used = new Set<string>();
    for (const record of this.instances(scope).values()) if (record._publicIp) used.add(record._publicIp);
    for (const ip of this.deps.addresses.elasticIps(scope)) used.add(ip);
    return used;
  }

  private isOneTimeSpot(scope: Scope, record: InstanceRecord): boolean {
    if (!record.SpotInstanceRequestId) return true;
    const request = this.state.collection<{ Type?: string }>("spot-requests", scope).get(record.SpotInstanceRequestId);
    return request?.Type !== "persistent";
  }
}

export function isVisible(record: InstanceRecord, now: number): boolean {
  return record._hideAfter === undefined || now < record._hideAfter;
}

/** "2024-05-01 12:00:00 GMT", as StateTransitionReason shows times. */
function gmt(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ").replace(/\.\d+Z$/, " GMT");
}



