/** The s3x extension modules, in order (appended to the core's by modules.ts). */
import { AccessModule } from "../access/module.js";
import { BillingModule } from "../billing/module.js";
import { CorsModule } from "../cors/module.js";
import { EncryptionModule } from "../encryption/module.js";
import { IntelligentTieringModule } from "../intelligent-tiering/module.js";
import { InventoryModule } from "../inventory/module.js";
import { LifecycleModule } from "../lifecycle/module.js";
import { LoggingModule } from "../logging/module.js";
import { StorageMetricsModule } from "../metrics/module.js";
import { ObjectLockModule } from "../object-lock/module.js";
import type { S3ModuleFactory } from "../modules.js";
import { ReplicationModule } from "../replication/module.js";
import { RequestMetricsModule } from "../request-metrics/module.js";
import { SettingsModule } from "../settings/module.js";
import { TaggingModule } from "../tagging/module.js";
import { WebsiteModule } from "../website/module.js";

export const S3X_MODULES: S3ModuleFactory[] = [
  (s3) => new AccessModule(s3),
  (s3) => new EncryptionModule(s3),
  (s3) => new TaggingModule(s3),
  (s3) => new CorsModule(s3),
  (s3) => new LifecycleModule(s3),
  (s3) => new ReplicationModule(s3),
  (s3) => new StorageMetricsModule(s3),
  // Wraps the authorizer the access module installed (s3:BypassGovernanceRetention).
  (s3) => new ObjectLockModule(s3),
  (s3) => new SettingsModule(s3),
  (s3) => new LoggingModule(s3),
  (s3) => new WebsiteModule(s3),
  (s3) => new RequestMetricsModule(s3),
  (s3) => new InventoryModule(s3),
  (s3) => new IntelligentTieringModule(s3),
  (s3) => new BillingModule(s3),
];
