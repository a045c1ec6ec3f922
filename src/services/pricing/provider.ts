/**
 * The Price List Query API: DescribeServices, GetAttributeValues and
 * GetProducts over the catalogue in catalog.ts, with AWS's filter types
 * (TERM_MATCH, EQUALS, CONTAINS, ANY_OF, NONE_OF) and NextToken pagination.
 * The bulk-file operations (ListPriceLists, GetPriceListFileUrl) answer
 * NotImplemented.
 */
import type { Cloud } from "../../cloud.js";
import { AwsError } from "../../core/errors.js";
import type {
  DescribeServicesRequest,
  DescribeServicesResponse,
  Filter,
  GetAttributeValuesRequest,
  GetAttributeValuesResponse,
  GetProductsRequest,
  GetProductsResponse,
  PricingOperations,
} from "../../generated/pricing.js";
import type { CallContext, ServiceProvider } from "../types.js";
import { attributeNamesOf, priceListItem, productsOf, SERVICE_CODES, type Product } from "./catalog.js";

type Implemented = Pick<PricingOperations, "DescribeServices" | "GetAttributeValues" | "GetProducts">;

const FORMAT_VERSION = "aws_v1";

function invalid(message: string): AwsError {
  return new AwsError("InvalidParameterException", message, { status: 400 });
}

function checkServiceCode(code: string | undefined): void {
  if (code !== undefined && !/^[A-Za-z0-9]+$/.test(code)) throw invalid("ServiceCode can only contain a-z, A-Z, 0-9");
}

function checkFormatVersion(version: string | undefined): void {
  if (version !== undefined && version !== FORMAT_VERSION) throw invalid(`Input Parameters are invalid. Invalid FormatVersion ${version}, only ${FORMAT_VERSION} is supported`);
}

/** Tokens carry the offset and what was asked, so a token only continues the query that made it. */
function encodeToken(offset: number, query: string): string {
  return Buffer.from(JSON.stringify({ o: offset, q: query })).toString("base64");
}

function decodeToken(token: string | undefined, query: string): number {
  if (token === undefined) return 0;
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64").toString("utf8")) as { o: unknown; q: unknown };
    if (typeof parsed.o === "number" && parsed.q === query) return parsed.o;
  } catch {
    // falls through
  }
  throw new AwsError("InvalidNextTokenException", "The pagination token is invalid. Try again without a pagination token.", { status: 400 });
}

function page<T>(items: T[], request: { MaxResults?: number; NextToken?: string }, query: string, defaultSize: number): { items: T[]; next?: string } {
  const offset = decodeToken(request.NextToken, query);
  const size = request.MaxResults ?? defaultSize;
  const slice = items.slice(offset, offset + size);
  return { items: slice, next: offset + size < items.length ? encodeToken(offset + size, query) : undefined };
}

function fieldValue(product: Product, field: string): string | undefined {
  if (field === "ServiceCode") return product.serviceCode;
  if (field === "productFamily") return product.productFamily;
  if (field === "sku") return product.sku;
  if (field in product.attributes) return product.attributes[field];
  const lower = field.toLowerCase();
  const key = Object.keys(product.attributes).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : product.attributes[key];
}

function matches(product: Product, filter: Filter): boolean {
  const value = fieldValue(product, filter.Field);
  if (filter.Type === "NONE_OF") return value === undefined || !listOf(filter.Value).includes(value);
  if (value === undefined) return false;
  switch (filter.Type) {
    case "TERM_MATCH":
    case "EQUALS":
      return value === filter.Value;
    case "CONTAINS":
      return value.includes(filter.Value);
    case "ANY_OF":
      return listOf(filter.Value).includes(value);
    default:
      throw invalid(`Input Parameters are invalid. Unsupported filter type ${String(filter.Type)}`);
  }
}

function listOf(value: string): string[] {
  return value.split(",").map((v) => v.trim());
}

export class PricingProvider implements ServiceProvider, Implemented {
  constructor(readonly cloud: Cloud) {}

  DescribeServices(input: DescribeServicesRequest, _ctx: CallContext): DescribeServicesResponse {
    checkServiceCode(input.ServiceCode);
    checkFormatVersion(input.FormatVersion);
    const codes = input.ServiceCode === undefined ? SERVICE_CODES : SERVICE_CODES.filter((c) => c === input.ServiceCode);
    const { items, next } = page(codes, input, `services/${input.ServiceCode ?? ""}`, 100);
    return { Services: items.map((code) => ({ ServiceCode: code, AttributeNames: attributeNamesOf(code) })), FormatVersion: FORMAT_VERSION, NextToken: next };
  }

  GetAttributeValues(input: GetAttributeValuesRequest, _ctx: CallContext): GetAttributeValuesResponse {
    checkServiceCode(input.ServiceCode);
    const values = new Set<string>();
    for (const product of productsOf(input.ServiceCode)) {
      const value = fieldValue(product, input.AttributeName);
      if (value !== undefined && value !== "") values.add(value);
    }
    const sorted = [...values].sort();
    const { items, next } = page(sorted, input, `values/${input.ServiceCode}/${input.AttributeName}`, 100);
    return { AttributeValues: items.map((Value) => ({ Value })), NextToken: next };
  }

  GetProducts(input: GetProductsRequest, _ctx: CallContext): GetProductsResponse {
    checkServiceCode(input.ServiceCode);
    checkFormatVersion(input.FormatVersion);
    const filters = input.Filters ?? [];
    const products = productsOf(input.ServiceCode).filter((product) => filters.every((f) => matches(product, f)));
    const query = `products/${input.ServiceCode}/${JSON.stringify(filters)}`;
    const { items, next } = page(products, input, query, 100);
    return { FormatVersion: FORMAT_VERSION, PriceList: items.map(priceListItem), NextToken: next };
  }
}
