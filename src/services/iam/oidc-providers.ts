/**
 * IAM OpenID Connect providers: the issuers whose ID tokens
 * sts:AssumeRoleWithWebIdentity accepts, with their audiences (client ids).
 * A provider is named by its URL without the scheme ("host[:port]/path"), in
 * its ARN (arn:aws:iam::ACCOUNT:oidc-provider/NAME) and in the condition keys
 * of trust policies (NAME:aud, NAME:sub). AWS takes only https:// issuers;
 * Stratus also takes http:// ones, for tests and local identity providers.
 * Thumbprints are stored and reported, never used: tokens are checked
 * against the issuer's published keys (JWKS).
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import { parseArn } from "../../core/ids.js";
import type * as Iam from "../../generated/iam.js";
import type { CallContext } from "../types.js";
import { IamErrors } from "./errors.js";
import { paginateInOrder } from "./paging.js";
import type { IamStore, OidcProviderRecord } from "./store.js";
import { initialTags, mergeTags, removeTags } from "./tags.js";

export const OIDC_PROVIDERS_PER_ACCOUNT = 100;
const CLIENT_IDS_PER_PROVIDER = 100;
const THUMBPRINTS_PER_PROVIDER = 5;

const invalidUrl = () => new AwsError("ValidationError", "Invalid Open ID Connect Provider URL", { status: 400 });
const notFound = (arn: string) => IamErrors.noSuchEntity(`OpenIDConnect Provider not found for arn ${arn}`);

/** "https://Host/path/" → { scheme: "https", name: "host/path" }; undefined when it is not a provider URL. */
export function providerName(url: string): { scheme: "https" | "http"; name: string } | undefined {
  const scheme = /^(https?):\/\//i.exec(url)?.[1]?.toLowerCase() as "https" | "http" | undefined;
  if (!scheme) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (!parsed.hostname || parsed.search || parsed.hash || parsed.username || parsed.password) return undefined;
  const path = parsed.pathname.replace(/\/+$/, "");
  return { scheme, name: `${parsed.host}${path}` };
}

/** The account's provider for a token's issuer ("iss"), if any. */
export function providerForIssuer(store: IamStore, account: string, issuer: string): OidcProviderRecord | undefined {
  const wanted = providerName(issuer);
  if (!wanted) return undefined;
  const found = store.oidcProviders(account).get(wanted.name);
  return found && found.Scheme === wanted.scheme ? found : undefined;
}

function checkThumbprints(list: string[]): string[] {
  if (list.length > THUMBPRINTS_PER_PROVIDER) throw IamErrors.invalidInput("Thumbprint list must contain fewer than 5 entries.");
  return list;
}

function checkClientIds(list: string[]): string[] {
  const unique = [...new Set(list)];
  if (unique.length > CLIENT_IDS_PER_PROVIDER) throw IamErrors.quota("ClientIdsPerOpenIdConnectProvider", CLIENT_IDS_PER_PROVIDER);
  return unique;
}

export class OidcProviderOperations {
  constructor(
    private readonly cloud: Cloud,
    private readonly store: IamStore,
  ) {}

  CreateOpenIDConnectProvider(input: Iam.CreateOpenIDConnectProviderRequest, ctx: CallContext): Iam.CreateOpenIDConnectProviderResponse {
    const url = providerName(input.Url);
    if (!url) throw invalidUrl();
    const providers = this.store.oidcProviders(ctx.account);
    const clientIds = checkClientIds(input.ClientIDList ?? []);
    const thumbprints = checkThumbprints(input.ThumbprintList ?? []);
    const tags = initialTags(input.Tags);
    if (providers.has(url.name)) throw new AwsError("EntityAlreadyExists", `Provider with url ${input.Url} already exists.`, { status: 409 });
    if (providers.size >= OIDC_PROVIDERS_PER_ACCOUNT) throw IamErrors.quota("OpenIdConnectProvidersPerAccount", OIDC_PROVIDERS_PER_ACCOUNT);
    const record: OidcProviderRecord = {
      Name: url.name,
      Arn: `arn:aws:iam::${ctx.account}:oidc-provider/${url.name}`,
      Scheme: url.scheme,
      ClientIDList: clientIds,
      ThumbprintList: thumbprints,
      CreateDate: this.cloud.clock.date(),
      Tags: tags,
    };
    providers.put(url.name, record);
    return { OpenIDConnectProviderArn: record.Arn, Tags: input.Tags?.length ? tags : undefined };
  }

  GetOpenIDConnectProvider(input: Iam.GetOpenIDConnectProviderRequest, ctx: CallContext): Iam.GetOpenIDConnectProviderResponse {
    const p = this.require(ctx.account, input.OpenIDConnectProviderArn);
    return { Url: p.Name, ClientIDList: p.ClientIDList, ThumbprintList: p.ThumbprintList, CreateDate: p.CreateDate, Tags: p.Tags };
  }

  ListOpenIDConnectProviders(_input: object, ctx: CallContext): Iam.ListOpenIDConnectProvidersResponse {
    const arns = this.store.oidcProviders(ctx.account).values().map((p) => p.Arn).sort();
    return { OpenIDConnectProviderList: arns.map((Arn) => ({ Arn })) };
  }

  DeleteOpenIDConnectProvider(input: Iam.DeleteOpenIDConnectProviderRequest, ctx: CallContext): void {
    const name = this.nameOf(ctx.account, input.OpenIDConnectProviderArn);
    if (!name || !this.store.oidcProviders(ctx.account).delete(name)) {
      throw IamErrors.noSuchEntity(`OpenId connect Provider ${input.OpenIDConnectProviderArn} cannot be found.`);
    }
  }

  /** Idempotent, as on AWS: an id already there is not added twice. */
  AddClientIDToOpenIDConnectProvider(input: Iam.AddClientIDToOpenIDConnectProviderRequest, ctx: CallContext): void {
    const p = this.require(ctx.account, input.OpenIDConnectProviderArn);
    const ids = checkClientIds([...p.ClientIDList, input.ClientID]);
    this.update(p, (r) => (r.ClientIDList = ids));
  }

  /** Idempotent, as on AWS: removing an id that is not there does nothing. */
  RemoveClientIDFromOpenIDConnectProvider(input: Iam.RemoveClientIDFromOpenIDConnectProviderRequest, ctx: CallContext): void {
    const p = this.require(ctx.account, input.OpenIDConnectProviderArn);
    this.update(p, (r) => (r.ClientIDList = r.ClientIDList.filter((id) => id !== input.ClientID)));
  }

  UpdateOpenIDConnectProviderThumbprint(input: Iam.UpdateOpenIDConnectProviderThumbprintRequest, ctx: CallContext): void {
    const p = this.require(ctx.account, input.OpenIDConnectProviderArn);
    const thumbprints = checkThumbprints(input.ThumbprintList);
    this.update(p, (r) => (r.ThumbprintList = thumbprints));
  }

  TagOpenIDConnectProvider(input: Iam.TagOpenIDConnectProviderRequest, ctx: CallContext): void {
    const p = this.require(ctx.account, input.OpenIDConnectProviderArn);
    const tags = mergeTags(p.Tags, input.Tags);
    this.update(p, (r) => (r.Tags = tags));
  }

  UntagOpenIDConnectProvider(input: Iam.UntagOpenIDConnectProviderRequest, ctx: CallContext): void {
    const p = this.require(ctx.account, input.OpenIDConnectProviderArn);
    this.update(p, (r) => (r.Tags = removeTags(r.Tags, input.TagKeys)));
  }

  ListOpenIDConnectProviderTags(input: Iam.ListOpenIDConnectProviderTagsRequest, ctx: CallContext): Iam.ListOpenIDConnectProviderTagsResponse {
    const p = this.require(ctx.account, input.OpenIDConnectProviderArn);
    const page = paginateInOrder(p.Tags, input.Marker, input.MaxItems);
    return { Tags: page.items, IsTruncated: page.IsTruncated, Marker: page.Marker };
  }

  /** The provider's name in the caller's account, from its ARN. */
  private nameOf(account: string, arn: string): string | undefined {
    const parsed = parseArn(arn);
    if (!parsed || parsed.service !== "iam" || parsed.account !== account || !parsed.resource.startsWith("oidc-provider/")) return undefined;
    return parsed.resource.slice("oidc-provider/".length);
  }

  private require(account: string, arn: string): OidcProviderRecord {
    const name = this.nameOf(account, arn);
    const found = name === undefined ? undefined : this.store.oidcProviders(account).get(name);
    if (!found) throw notFound(arn);
    return found;
  }

  private update(p: OidcProviderRecord, change: (r: OidcProviderRecord) => void): void {
    const account = p.Arn.split(":")[4];
    this.store.oidcProviders(account).update(p.Name, (r) => void change(r));
  }
}
