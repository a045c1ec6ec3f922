/** S3: no operations yet; every call answers NotImplemented by name. */
import type { Cloud } from "../../cloud.js";
import type { ServiceProvider } from "../types.js";

export class S3Provider implements ServiceProvider {
  constructor(readonly cloud: Cloud) {}
}
