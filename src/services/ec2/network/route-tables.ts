/**
 * Route tables: each VPC's main table (made with the VPC, its local route
 * first), tables of your own, routes to internet gateways, instances and
 * network interfaces, and subnet (or gateway) associations. A subnet without
 * an explicit association uses its VPC's main table. A route whose target is
 * gone or detached shows as "blackhole", as in EC2.
 */
import type { Cloud } from "../../../cloud.js";
import { ec2Id } from "../../../core/ids.js";
import type {
  AssociateRouteTableRequest,
  AssociateRouteTableResult,
  CreateRouteRequest,
  CreateRouteResult,
  CreateRouteTableRequest,
  CreateRouteTableResult,
  DeleteRouteRequest,
  DeleteRouteTableRequest,
  DescribeRouteTablesRequest,
  DescribeRouteTablesResult,
  DisassociateRouteTableRequest,
  ReplaceRouteRequest,
  ReplaceRouteTableAssociationRequest,
  ReplaceRouteTableAssociationResult,
  Route,
  RouteTable,
} from "../../../generated/ec2.js";
import type { Scope } from "../../../state/documents.js";
import type { CallContext } from "../../types.js";
import { Ec2Errors } from "../errors.js";
import { compileFilters, tagsOf } from "../filters.js";
import { KINDS, checkIdShape, requireId, requireIds } from "../lookup.js";
import { paginate } from "../pagination.js";
import type { Ec2State } from "../state.js";
import { omitEmptyTags, tagsFor } from "../tags.js";
import { cidrText, parseCidr4 } from "./cidr.js";
import { ENI_KIND, interfaces } from "./interfaces.js";
import type { NetworkModule } from "./module.js";
import { scopeOf } from "./module.js";

const ASSOCIATION_KIND = { prefix: "rtbassoc", notFoundCode: "InvalidAssociationID.NotFound", noun: "association" };
const MAX_ROUTES = 50;

/** The parameters that name a route's target, with the resource kind each names. */
const TARGETS = [
  "GatewayId",
  "NatGatewayId",
  "InstanceId",
  "NetworkInterfaceId",
  "VpcPeeringConnectionId",
  "TransitGatewayId",
  "EgressOnlyInternetGatewayId",
  "CarrierGatewayId",
  "LocalGatewayId",
  "VpcEndpointId",
  "CoreNetworkArn",
] as const;

export class RouteTablesModule {
  constructor(
    readonly cloud: Cloud,
    private readonly state: Ec2State,
    private readonly network: NetworkModule,
  ) {}

  private tables(scope: Scope) {
    return this.network.routeTables(scope);
  }

  private nat(scope: Scope, id: string): { State?: string; VpcId?: string } | undefined {
    return this.state.collection<{ State?: string; VpcId?: string }>("nat-gateways", scope).get(id);
  }

  private table(scope: Scope, id: string): RouteTable {
    return requireId(this.tables(scope), id, KINDS.rtb);
  }

  /** A route's state now: blackhole when its gateway is detached or its instance/interface gone. */
  private routeView(scope: Scope, table: RouteTable, route: Route): Route {
    let state: Route["State"] = "active";
    if (route.GatewayId?.startsWith("igw-")) {
      const gateway = this.network.internetGateways(scope).get(route.GatewayId);
      if (!gateway?.Attachments?.some((a) => a.VpcId === table.VpcId)) state = "blackhole";
    } else if (route.NatGatewayId) {
      const nat = this.nat(scope, route.NatGatewayId);
      if (nat?.State !== "available" && nat?.State !== "pending") state = "blackhole";
    } else if (route.NetworkInterfaceId && !route.InstanceId) {
      if (!interfaces(this.state, scope).get(route.NetworkInterfaceId)) state = "blackhole";
    } else if (route.InstanceId) {
      const instance = this.state.instances(scope).get(route.InstanceId);
      if (!instance || instance.State?.Name !== "running") state = "blackhole";
    }
    return { ...route, State: state };
  }

  private view(scope: Scope, record: RouteTable): RouteTable {
    const { _clientToken, ...table } = record as RouteTable & { _clientToken?: string };
    return omitEmptyTags({ ...table, Routes: (table.Routes ?? []).map((r) => this.routeView(scope, table, r)) });
  }

  DescribeRouteTables(input: DescribeRouteTablesRequest, ctx: CallContext): DescribeRouteTablesResult {
    const scope = scopeOf(ctx);
    const idsGiven = Boolean(input.RouteTableIds?.length);
    const all = (idsGiven ? requireIds(this.tables(scope), input.RouteTableIds!, KINDS.rtb) : this.tables(scope).values()).map((t) => this.view(scope, t));
    const routes = (t: RouteTable) => t.Routes ?? [];
    const predicate = compileFilters<RouteTable>(input.Filters, {
      fields: {
        "association.gateway-id": (t) => t.Associations?.map((a) => a.GatewayId),
        "association.route-table-association-id": (t) => t.Associations?.map((a) => a.RouteTableAssociationId),
        "association.route-table-id": (t) => t.Associations?.map((a) => a.RouteTableId),
        "association.subnet-id": (t) => t.Associations?.map((a) => a.SubnetId),
        // Per association: a table without associations matches neither true nor false, as in EC2.
        "association.main": (t) => t.Associations?.map((a) => a.Main ?? false),
        "association.association-state": (t) => t.Associations?.map((a) => a.AssociationState?.State),
        "owner-id": (t) => t.OwnerId,
        "route-table-id": (t) => t.RouteTableId,
        "route.destination-cidr-block": (t) => routes(t).map((r) => r.DestinationCidrBlock),
        "route.destination-ipv6-cidr-block": (t) => routes(t).map((r) => r.DestinationIpv6CidrBlock),
        "route.destination-prefix-list-id": (t) => routes(t).map((r) => r.DestinationPrefixListId),
        "route.egress-only-internet-gateway-id": (t) => routes(t).map((r) => r.EgressOnlyInternetGatewayId),
        "route.gateway-id": (t) => routes(t).map((r) => r.GatewayId),
        "route.instance-id": (t) => routes(t).map((r) => r.InstanceId),
        "route.nat-gateway-id": (t) => routes(t).map((r) => r.NatGatewayId),
        "route.network-interface-id": (t) => routes(t).map((r) => r.NetworkInterfaceId),
        "route.transit-gateway-id": (t) => routes(t).map((r) => r.TransitGatewayId),
        "route.vpc-peering-connection-id": (t) => routes(t).map((r) => r.VpcPeeringConnectionId),
        "route.origin": (t) => routes(t).map((r) => r.Origin),
        "route.state": (t) => routes(t).map((r) => r.State),
        "vpc-id": (t) => t.VpcId,
      },
      tags: tagsOf,
    });
    const page = paginate(all.filter(predicate), input, { min: 5, max: 100, idsParameter: "RouteTableIds" }, (t) => t.RouteTableId!, idsGiven);
    return { RouteTables: page.items, NextToken: page.nextToken };
  }

  CreateRouteTable(input: CreateRouteTableRequest, ctx: CallContext): CreateRouteTableResult {
    const scope = scopeOf(ctx);
    const tags = tagsFor(input.TagSpecifications, "route-table");
    const vpc = requireId(this.network.vpcs(scope), input.VpcId, KINDS.vpc);
    if (input.ClientToken) {
      const earlier = this.tables(scope)
        .values()
        .find((t) => (t as { _clientToken?: string })._clientToken === input.ClientToken);
      if (earlier) return { RouteTable: this.view(scope, earlier), ClientToken: input.ClientToken };
    }
    const id = ec2Id("rtb");
    const table: RouteTable & { _clientToken?: string } = {
      RouteTableId: id,
      VpcId: vpc.VpcId,
      OwnerId: scope.account,
      Associations: [],
      Routes: [{ DestinationCidrBlock: vpc.CidrBlock, GatewayId: "local", Origin: "CreateRouteTable", State: "active" }],
      PropagatingVgws: [],
      Tags: tags,
    };
    if (input.ClientToken) table._clientToken = input.ClientToken;
    this.tables(scope).put(id, table);
    return { RouteTable: this.view(scope, table), ClientToken: input.ClientToken };
  }

  DeleteRouteTable(input: DeleteRouteTableRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const table = this.table(scope, input.RouteTableId);
    if (table.Associations?.length) {
      throw Ec2Errors.dependencyViolation(`The routeTable '${table.RouteTableId}' has dependencies and cannot be deleted.`);
    }
    this.tables(scope).delete(table.RouteTableId!);
  }

  // ---- Routes ----

  /** The destination a route request names (exactly one), normalised. */
  private destination(input: { DestinationCidrBlock?: string; DestinationIpv6CidrBlock?: string; DestinationPrefixListId?: string }): { key: keyof Route; value: string } {
    const given = [input.DestinationCidrBlock, input.DestinationIpv6CidrBlock, input.DestinationPrefixListId].filter((v) => v !== undefined);
    if (given.length === 0) throw Ec2Errors.missingParameter("destinationCidrBlock");
    if (given.length > 1) {
      throw Ec2Errors.invalidParameterCombination("Exactly one of destinationCidrBlock, destinationIpv6CidrBlock and destinationPrefixListId must be specified.");
    }
    if (input.DestinationCidrBlock !== undefined) {
      const cidr = parseCidr4(input.DestinationCidrBlock);
      if (!cidr) {
        throw Ec2Errors.invalidParameterValue(`Value (${input.DestinationCidrBlock}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`);
      }
      return { key: "DestinationCidrBlock", value: cidrText(cidr) };
    }
    if (input.DestinationIpv6CidrBlock !== undefined) {
      if (!/^[0-9a-fA-F:]+\/\d{1,3}$/.test(input.DestinationIpv6CidrBlock)) {
        throw Ec2Errors.invalidParameterValue(`Value (${input.DestinationIpv6CidrBlock}) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.`);
      }
      return { key: "DestinationIpv6CidrBlock", value: input.DestinationIpv6CidrBlock.toLowerCase() };
    }
    return { key: "DestinationPrefixListId", value: input.DestinationPrefixListId! };
  }

  /** The target a route request names (exactly one), checked against what exists. */
  private target(scope: Scope, table: RouteTable, input: CreateRouteRequest): Partial<Route> {
    const named = TARGETS.filter((k) => input[k] !== undefined);
    if (named.length === 0) throw Ec2Errors.missingParameter("target (gatewayId, natGatewayId, instanceId, networkInterfaceId, ...)");
    if (named.length > 1) throw Ec2Errors.invalidParameterCombination(`The parameter ${named[0]} cannot be used with the parameter ${named[1]}`);
    const key = named[0];
    const value = input[key]!;
    switch (key) {
      case "GatewayId": {
        if (value === "local") return { GatewayId: "local" };
        if (value.startsWith("igw-")) {
          const gateway = requireId(this.network.internetGateways(scope), value, KINDS.igw);
          if (!gateway.Attachments?.some((a) => a.VpcId === table.VpcId)) {
            throw Ec2Errors.invalidParameterValue(`route table ${table.RouteTableId} and network gateway ${value} belong to different networks`);
          }
          return { GatewayId: value };
        }
        if (value.startsWith("vgw-")) throw Ec2Errors.custom("InvalidVpnGatewayID.NotFound", `The vpnGateway ID '${value}' does not exist`);
        throw Ec2Errors.custom("InvalidGatewayID.NotFound", `The gateway ID '${value}' does not exist`);
      }
      case "InstanceId": {
        checkIdShape(value, KINDS.instance);
        const instance = this.state.instances(scope).get(value);
        if (!instance || instance.State?.Name === "terminated") throw Ec2Errors.notFound(KINDS.instance.notFoundCode, KINDS.instance.noun, [value]);
        if (instance.VpcId !== table.VpcId) {
          throw Ec2Errors.invalidParameterValue(`route table ${table.RouteTableId} and instance ${value} belong to different networks`);
        }
        return { InstanceId: value, InstanceOwnerId: scope.account, NetworkInterfaceId: instance._eni.id };
      }
      case "NetworkInterfaceId": {
        checkIdShape(value, ENI_KIND);
        const own = interfaces(this.state, scope).get(value);
        const owner = own
          ? undefined
          : this.state
              .instances(scope)
              .values()
              .find((i) => i._eni.id === value && i.State?.Name !== "terminated");
        if (!own && !owner) throw Ec2Errors.notFound(ENI_KIND.notFoundCode, ENI_KIND.noun, [value]);
        if ((own?.VpcId ?? owner!.VpcId) !== table.VpcId) {
          throw Ec2Errors.invalidParameterValue(`route table ${table.RouteTableId} and interface ${value} belong to different networks`);
        }
        const instanceId = own?.Attachment?.InstanceId ?? owner?.InstanceId;
        return { NetworkInterfaceId: value, ...(instanceId ? { InstanceId: instanceId, InstanceOwnerId: scope.account } : {}) };
      }
      case "NatGatewayId": {
        const nat = this.nat(scope, value);
        if (!nat || (nat.State !== "pending" && nat.State !== "available")) {
          throw Ec2Errors.custom("InvalidNatGatewayID.NotFound", `The natGateway ID '${value}' does not exist`);
        }
        if (nat.VpcId !== table.VpcId) {
          throw Ec2Errors.invalidParameterValue(`route table ${table.RouteTableId} and NAT gateway ${value} belong to different networks`);
        }
        return { NatGatewayId: value };
      }
      case "VpcPeeringConnectionId":
        throw Ec2Errors.custom("InvalidVpcPeeringConnectionID.NotFound", `The vpcPeeringConnection ID '${value}' does not exist`);
      case "TransitGatewayId":
        throw Ec2Errors.custom("InvalidTransitGatewayID.NotFound", `The transitGateway ID '${value}' does not exist`);
      case "EgressOnlyInternetGatewayId":
        throw Ec2Errors.custom("InvalidGatewayID.NotFound", `The gateway ID '${value}' does not exist`);
      case "VpcEndpointId":
        throw Ec2Errors.custom("InvalidVpcEndpointId.NotFound", `The Vpc Endpoint Id '${value}' does not exist`);
      default:
        throw Ec2Errors.unsupportedOperation(`Routes to ${key} targets are not supported by Stratus.`);
    }
  }

  CreateRoute(input: CreateRouteRequest, ctx: CallContext): CreateRouteResult {
    const scope = scopeOf(ctx);
    const table = this.table(scope, input.RouteTableId);
    const destination = this.destination(input);
    const target = this.target(scope, table, input);
    if (target.GatewayId === "local") throw Ec2Errors.invalidParameterValue("Cannot create a route with a target of local.");
    const existing = (table.Routes ?? []).find((r) => r[destination.key] === destination.value);
    if (existing) {
      throw Ec2Errors.custom("RouteAlreadyExists", `The route identified by ${destination.value} already exists.`);
    }
    if ((table.Routes ?? []).length >= MAX_ROUTES) throw Ec2Errors.custom("RouteLimitExceeded", `The maximum number of routes (${MAX_ROUTES}) has been reached.`);
    const route: Route = { [destination.key]: destination.value, ...target, Origin: "CreateRoute", State: "active" };
    this.tables(scope).update(table.RouteTableId!, (t) => void (t.Routes = [...(t.Routes ?? []), route]));
    return { Return: true };
  }

  ReplaceRoute(input: ReplaceRouteRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const table = this.table(scope, input.RouteTableId);
    const destination = this.destination(input);
    const index = (table.Routes ?? []).findIndex((r) => r[destination.key] === destination.value);
    if (index < 0) {
      throw Ec2Errors.invalidParameterValue(
        `There is no route defined for '${destination.value}' in the route table. Please specify a valid destination and try again.`,
      );
    }
    if (input.LocalTarget) {
      throw Ec2Errors.unsupportedOperation("Replacing a route with a local target is not supported by Stratus.");
    }
    const target = this.target(scope, table, input as CreateRouteRequest);
    if (table.Routes![index].GatewayId === "local") {
      throw Ec2Errors.invalidParameterValue(`cannot replace local route ${destination.value} in route table ${table.RouteTableId}`);
    }
    const route: Route = { [destination.key]: destination.value, ...target, Origin: "CreateRoute", State: "active" };
    this.tables(scope).update(table.RouteTableId!, (t) => void (t.Routes![index] = route));
  }

  DeleteRoute(input: DeleteRouteRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    const table = this.table(scope, input.RouteTableId);
    const destination = this.destination(input);
    const route = (table.Routes ?? []).find((r) => r[destination.key] === destination.value);
    const param = destination.key === "DestinationCidrBlock" ? "destination-cidr-block" : destination.key === "DestinationIpv6CidrBlock" ? "destination-ipv6-cidr-block" : "destination-prefix-list-id";
    if (!route) throw Ec2Errors.custom("InvalidRoute.NotFound", `no route with ${param} ${destination.value} in route table ${table.RouteTableId}`);
    if (route.GatewayId === "local") throw Ec2Errors.invalidParameterValue(`cannot remove local route ${destination.value} in route table ${table.RouteTableId}`);
    this.tables(scope).update(table.RouteTableId!, (t) => void (t.Routes = t.Routes!.filter((r) => r[destination.key] !== destination.value)));
  }

  // ---- Associations ----

  AssociateRouteTable(input: AssociateRouteTableRequest, ctx: CallContext): AssociateRouteTableResult {
    const scope = scopeOf(ctx);
    const table = this.table(scope, input.RouteTableId);
    if (!input.SubnetId && !input.GatewayId) throw Ec2Errors.missingParameter("subnetId");
    if (input.SubnetId && input.GatewayId) throw Ec2Errors.invalidParameterCombination("The parameter subnetId cannot be used with the parameter gatewayId");
    const tables = this.tables(scope).values();
    let association;
    if (input.SubnetId) {
      const subnet = requireId(this.network.subnets(scope), input.SubnetId, KINDS.subnet);
      if (subnet.VpcId !== table.VpcId) {
        throw Ec2Errors.invalidParameterValue(`Route table ${table.RouteTableId} and subnet ${subnet.SubnetId} belong to different networks`);
      }
      const current = tables.find((t) => t.Associations?.some((a) => a.SubnetId === subnet.SubnetId));
      if (current) {
        throw Ec2Errors.custom(
          "Resource.AlreadyAssociated",
          `the specified association for route table ${current.RouteTableId} conflicts with an existing association`,
        );
      }
      association = { SubnetId: subnet.SubnetId };
    } else {
      const gateway = requireId(this.network.internetGateways(scope), input.GatewayId!, KINDS.igw);
      if (!gateway.Attachments?.some((a) => a.VpcId === table.VpcId)) {
        throw Ec2Errors.invalidParameterValue(`Route table ${table.RouteTableId} and gateway ${gateway.InternetGatewayId} belong to different networks`);
      }
      if (tables.some((t) => t.Associations?.some((a) => a.GatewayId === gateway.InternetGatewayId))) {
        throw Ec2Errors.custom("Resource.AlreadyAssociated", `the specified association for route table ${table.RouteTableId} conflicts with an existing association`);
      }
      association = { GatewayId: gateway.InternetGatewayId };
    }
    const id = ec2Id("rtbassoc");
    this.tables(scope).update(table.RouteTableId!, (t) => {
      t.Associations = [
        ...(t.Associations ?? []),
        { Main: false, RouteTableAssociationId: id, RouteTableId: t.RouteTableId, ...association, AssociationState: { State: "associated" } },
      ];
    });
    return { AssociationId: id, AssociationState: { State: "associated" } };
  }

  /** The table holding an association id, or InvalidAssociationID.NotFound. */
  private byAssociation(scope: Scope, associationId: string): RouteTable {
    checkIdShape(associationId, ASSOCIATION_KIND);
    const table = this.tables(scope)
      .values()
      .find((t) => t.Associations?.some((a) => a.RouteTableAssociationId === associationId));
    if (!table) throw Ec2Errors.notFound(ASSOCIATION_KIND.notFoundCode, ASSOCIATION_KIND.noun, [associationId]);
    return table;
  }

  DisassociateRouteTable(input: DisassociateRouteTableRequest, ctx: CallContext): void {
    const scope = scopeOf(ctx);
    if (!input.AssociationId) throw Ec2Errors.missingParameter("associationId");
    const table = this.byAssociation(scope, input.AssociationId);
    const association = table.Associations!.find((a) => a.RouteTableAssociationId === input.AssociationId)!;
    if (association.Main) throw Ec2Errors.invalidParameterValue(`cannot disassociate the main route table association ${input.AssociationId}`);
    this.tables(scope).update(table.RouteTableId!, (t) => void (t.Associations = t.Associations!.filter((a) => a.RouteTableAssociationId !== input.AssociationId)));
  }

  ReplaceRouteTableAssociation(input: ReplaceRouteTableAssociationRequest, ctx: CallContext): ReplaceRouteTableAssociationResult {
    const scope = scopeOf(ctx);
    const from = this.byAssociation(scope, input.AssociationId);
    const to = this.table(scope, input.RouteTableId);
    if (to.VpcId !== from.VpcId) {
      throw Ec2Errors.invalidParameterValue(`Route table ${to.RouteTableId} belongs to a different network than association ${input.AssociationId}`);
    }
    const old = from.Associations!.find((a) => a.RouteTableAssociationId === input.AssociationId)!;
    const id = ec2Id("rtbassoc");
    this.cloud.documents.transaction(() => {
      this.tables(scope).update(from.RouteTableId!, (t) => void (t.Associations = t.Associations!.filter((a) => a.RouteTableAssociationId !== input.AssociationId)));
      this.tables(scope).update(to.RouteTableId!, (t) => {
        t.Associations = [
          ...(t.Associations ?? []),
          {
            Main: old.Main ?? false,
            RouteTableAssociationId: id,
            RouteTableId: t.RouteTableId,
            ...(old.SubnetId ? { SubnetId: old.SubnetId } : {}),
            ...(old.GatewayId ? { GatewayId: old.GatewayId } : {}),
            AssociationState: { State: "associated" },
          },
        ];
      });
    });
    return { NewAssociationId: id, AssociationState: { State: "associated" } };
  }
}
