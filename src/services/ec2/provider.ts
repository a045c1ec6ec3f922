/**
 * EC2 is composed of modules, each owning a family of operations (instances,
 * networking, volumes and snapshots, spot...). The provider merges their
 * handlers; the modules talk to each other through the interfaces in state.ts.
 *
 * To add a module: construct it in `createModules` below. A module is any
 * object whose PascalCase methods are EC2 operations (named as in the model),
 * with optional onStart/onReset hooks. Two modules must not implement the
 * same operation (the constructor refuses it).
 */
import path from "node:path";
import { runtimeUnsupported } from "../../runtime/host.js";
import { NamespaceDriver } from "../../runtime/namespace-driver.js";
import { IamStore } from "../iam/store.js";
import { imdsSource } from "./instances/imds-view.js";
import type { Cloud } from "../../cloud.js";
import type { Ec2Operations } from "../../generated/ec2.js";
import { operationNames } from "../compose.js";
import type { CallContext, ServiceProvider } from "../types.js";
import { Ec2Errors } from "./errors.js";
import { Ec2State } from "./state.js";
import { TagsModule } from "./tags.js";
import { RegionsModule } from "./regions/module.js";
import { NetworkModule } from "./network/module.js";
import { SecurityGroupsModule } from "./network/security-groups.js";
import { ImagesModule } from "./images/module.js";
import { InstanceTypesModule } from "./instance-types/module.js";
import { KeyPairsModule } from "./keypairs/module.js";
import { AddressesModule } from "./addresses/module.js";
import { InstancesModule } from "./instances/module.js";
import { InstanceQueriesModule } from "./instances/describe.js";
import { InstanceMetrics } from "./instances/metrics.js";
import { SpotModule } from "./spot/module.js";
import { SpotFleetModule } from "./spot/fleet.js";
import { Ec2FleetModule } from "./spot/ec2-fleet.js";
import { EbsEncryptionModule } from "./volumes/encryption.js";
import { SnapshotsModule } from "./volumes/snapshots.js";
import { VolumesModule } from "./volumes/volumes.js";
import { volumeBytes } from "./volumes/instance-storage.js";
import { LaunchTemplatesModule } from "./templates/module.js";
import { NetworkInterfacesModule } from "./network/interfaces.js";
import { RouteTablesModule } from "./network/route-tables.js";
import { NetworkAclsModule } from "./network/network-acls.js";
import { NatGatewaysModule } from "./network/nat-gateways.js";
import { InstanceSettingsModule } from "./instances/profiles.js";
import { ImageRegistrationModule } from "./images/register.js";

export type Ec2Module = Partial<Ec2Operations> & {
  onStart?(): void | Promise<void>;
  onReset?(): void | Promise<void>;
  onStop?(): void | Promise<void>;
};

/** Every EC2 module, in the order their hooks run. */
function createModules(cloud: Cloud, state: Ec2State): Ec2Module[] {
  const network = new NetworkModule(cloud, state);
  const groups = new SecurityGroupsModule(cloud, state, network);
  const images = new ImagesModule(cloud, state);
  const keys = new KeyPairsModule(cloud, state);
  const addresses = new AddressesModule(cloud, state);
  const driver = cloud.options.runtime === "namespaces" ? namespaceDriver(cloud) : undefined;
  const instances = new InstancesModule(cloud, state, { network, groups, images, keys, addresses }, driver);
  driver?.bindMetadata(imdsSource(instances, new IamStore(cloud)));
  driver?.bindVolumes(volumeBytes(cloud));
  const templates = new LaunchTemplatesModule(cloud, state);
  const interfaces = new NetworkInterfacesModule(cloud, state, {
    network,
    groups,
    liveInstance: (scope, id) => instances.live(scope, id),
    instanceAddresses: (scope, subnetId) =>
      state
        .instances(scope)
        .values()
        .filter((i) => i.SubnetId === subnetId && i.State?.Name !== "terminated")
        .map((i) => i.PrivateIpAddress!),
    updateInstance: (scope, id, change) => void state.instances(scope).update(id, change),
  });
  instances.secondaryInterfaceLauncher = (scope, instance, specs) => interfaces.launchSecondary(scope, instance, specs);
  instances.addListener((scope, instance) => {
    if (instance.State?.Name === "terminated") interfaces.instanceTerminated(scope, instance);
  });
  instances.templateResolver = (scope, input) => templates.mergeIntoRunInstances(scope, input);
  const spot = new SpotModule(cloud, state, instances);
  return [
    new TagsModule(cloud, state),
    new RegionsModule(cloud),
    network,
    groups,
    images,
    new InstanceTypesModule(cloud),
    keys,
    addresses,
    instances,
    new InstanceQueriesModule(cloud, state, instances, groups),
    new InstanceMetrics(cloud, instances),
    spot,
    new SpotFleetModule(cloud, state, instances, spot, templates),
    new Ec2FleetModule(cloud, state, instances, spot, templates),
    templates,
    interfaces,
    new RouteTablesModule(cloud, state, network),
    new NetworkAclsModule(cloud, state, network),
    new NatGatewaysModule(cloud, state, network),
    new InstanceSettingsModule(cloud, state, instances),
    new ImageRegistrationModule(cloud, state, images),
    new VolumesModule(cloud, state),
    new SnapshotsModule(cloud, state),
    new EbsEncryptionModule(cloud),
  ];
}

export class Ec2Provider implements ServiceProvider {
  readonly state: Ec2State;
  private readonly modules: Ec2Module[];

  constructor(readonly cloud: Cloud) {
    this.state = new Ec2State(cloud);
    this.modules = createModules(cloud, this.state);
    const owners = new Map<string, Ec2Module>();
    for (const module of this.modules) {
      for (const name of operationNames(module)) {
        if (owners.has(name)) throw new Error(`ec2: ${name} is implemented by two modules`);
        owners.set(name, module);
        const handler = (module as Record<string, unknown>)[name] as (input: Record<string, unknown>, ctx: CallContext) => unknown;
        (this as unknown as Record<string, unknown>)[name] = (input: Record<string, unknown>, ctx: CallContext) => {
          // EC2 answers DryRun once the request is well formed and authorised.
          if (input?.DryRun === true) throw Ec2Errors.dryRun();
          return handler.call(module, input, ctx);
        };
      }
    }
  }

  /** A module by class, for tests and cross-module wiring. */
  module<T>(type: abstract new (...args: never[]) => T): T | undefined {
    return this.modules.find((m) => m instanceof type) as T | undefined;
  }

  async onStart(): Promise<void> {
    for (const module of this.modules) await module.onStart?.();
  }

  async onReset(): Promise<void> {
    for (const module of this.modules) await module.onReset?.();
  }

  async onStop(): Promise<void> {
    for (const module of this.modules) await module.onStop?.();
  }
}

/** Instances that really run (--runtime namespaces): refused at start-up where the host cannot run them. */
function namespaceDriver(cloud: Cloud): NamespaceDriver {
  const unsupported = runtimeUnsupported();
  if (unsupported) throw new Error(`--runtime namespaces: ${unsupported}`);
  return new NamespaceDriver(path.join(path.dirname(cloud.blobsDir), "instances"), { error: (m, d) => cloud.log.error(m, d) }, () => cloud.listeningOn);
}
