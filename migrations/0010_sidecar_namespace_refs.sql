-- Sidecars no longer keep the config on full compiles: a write finds the Sidecars whose views it reaches by the namespaces they import, a Sidecar's write the ServiceEntries of a namespace (xds/publish/refs.ts `sidecar`, `nshost`).
-- A Sidecar stored before is indexed as importing every namespace ('*', read on more writes than needed until it is written again); the root namespace's default importing "./" still compiles whole.
INSERT OR IGNORE INTO `object_refs` (`kind`, `namespace`, `name`, `role`, `ref`) SELECT `kind`, `namespace`, `name`, 'nshost', `namespace` FROM `objects` WHERE `kind` = 'ServiceEntry';
--> statement-breakpoint
INSERT OR IGNORE INTO `object_refs` (`kind`, `namespace`, `name`, `role`, `ref`) SELECT `kind`, `namespace`, `name`, 'sidecar', `namespace` FROM `objects` WHERE `kind` = 'Sidecar';
--> statement-breakpoint
INSERT OR IGNORE INTO `object_refs` (`kind`, `namespace`, `name`, `role`, `ref`) SELECT `kind`, `namespace`, `name`, 'sidecar', '*' FROM `objects` WHERE `kind` = 'Sidecar';
--> statement-breakpoint
INSERT OR IGNORE INTO `object_refs` (`kind`, `namespace`, `name`, `role`, `ref`) SELECT `kind`, `namespace`, `name`, 'feature', 'root-namespace Sidecar importing "./"' FROM `objects` WHERE `kind` = 'Sidecar' AND `namespace` = 'istio-system' AND json_extract(`spec`, '$.workloadSelector') IS NULL AND `spec` LIKE '%"./%';
--> statement-breakpoint
DELETE FROM `object_refs` WHERE `role` = 'feature' AND `ref` = 'Sidecar';
