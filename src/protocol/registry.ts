/** One shared instance per protocol; services with quirks subclass one of these. */
import { CborRpcProtocol, JsonProtocol } from "./json.js";
import type { Protocol } from "./protocol.js";
import { Ec2Protocol, QueryProtocol } from "./query.js";
import { RestJsonProtocol } from "./rest-json.js";
import { RestXmlProtocol } from "./rest-xml.js";

export const PROTOCOLS = {
  query: new QueryProtocol(),
  ec2: new Ec2Protocol(),
  json: new JsonProtocol(),
  "rest-json": new RestJsonProtocol(),
  "rest-xml": new RestXmlProtocol(),
  "smithy-rpc-v2-cbor": new CborRpcProtocol(),
} as const;

export function protocolFor(name: string): Protocol {
  const protocol = (PROTOCOLS as Record<string, Protocol>)[name];
  if (!protocol) throw new Error(`unsupported protocol ${name}`);
  return protocol;
}
