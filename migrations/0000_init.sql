CREATE TABLE `object_history` (
	`revision` integer NOT NULL,
	`kind` text NOT NULL,
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`object` text,
	PRIMARY KEY(`revision`, `kind`, `namespace`, `name`)
);
--> statement-breakpoint
CREATE INDEX `history_object` ON `object_history` (`kind`,`namespace`,`name`);--> statement-breakpoint
CREATE TABLE `objects` (
	`kind` text NOT NULL,
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`api_version` text NOT NULL,
	`labels` text DEFAULT '{}' NOT NULL,
	`annotations` text DEFAULT '{}' NOT NULL,
	`spec` text NOT NULL,
	`uid` text NOT NULL,
	`resource_version` integer NOT NULL,
	`generation` integer NOT NULL,
	`created_at` text NOT NULL,
	PRIMARY KEY(`kind`, `namespace`, `name`)
);
--> statement-breakpoint
CREATE INDEX `objects_namespace` ON `objects` (`namespace`,`kind`);--> statement-breakpoint
CREATE TABLE `proxies` (
	`node_id` text PRIMARY KEY NOT NULL,
	`cluster` text DEFAULT '' NOT NULL,
	`user_agent` text DEFAULT '' NOT NULL,
	`labels` text DEFAULT '{}' NOT NULL,
	`view` text NOT NULL,
	`transport` text DEFAULT 'rest' NOT NULL,
	`versions` text DEFAULT '{}' NOT NULL,
	`last_seen` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `revisions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL,
	`author` text NOT NULL,
	`source` text DEFAULT '{}' NOT NULL,
	`changes` text NOT NULL,
	`config_hash` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tokens` (
	`name` text PRIMARY KEY NOT NULL,
	`hash` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tokens_hash_unique` ON `tokens` (`hash`);