CREATE TABLE `auth_epoch` (
	`id` integer PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
ALTER TABLE `idempotency_keys` ADD `lease_until` text;--> statement-breakpoint
-- The one counter row (functions/domain/auth/tokens.ts).
INSERT INTO `auth_epoch` (`id`, `version`) VALUES (1, 0);
