-- A Gateway's credentialName may name a Secret of any namespace (its proxy's): Secrets are indexed by bare name too (xds/publish/refs.ts `credname`).
INSERT OR IGNORE INTO `object_refs` (`kind`, `namespace`, `name`, `role`, `ref`) SELECT `kind`, `namespace`, `name`, 'credname', `name` FROM `objects` WHERE `kind` = 'Secret';
