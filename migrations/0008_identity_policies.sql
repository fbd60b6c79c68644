CREATE TABLE `identity_policies` (
	`name` text PRIMARY KEY NOT NULL,
	`identity` text NOT NULL,
	`namespaces` text NOT NULL,
	`gateway_selectors` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`updated_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `identity_policies_identity_unique` ON `identity_policies` (`identity`);--> statement-breakpoint
ALTER TABLE `tokens` ADD `identity` text;