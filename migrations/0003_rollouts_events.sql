CREATE TABLE `deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`webhook` text NOT NULL,
	`event` text NOT NULL,
	`payload` text NOT NULL,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_attempt_at` text,
	`last_status` integer,
	`last_error` text,
	`created_at` text NOT NULL,
	`delivered_at` text
);
--> statement-breakpoint
CREATE INDEX `deliveries_due` ON `deliveries` (`status`,`next_attempt_at`);--> statement-breakpoint
CREATE INDEX `deliveries_webhook` ON `deliveries` (`webhook`,`created_at`);--> statement-breakpoint
CREATE TABLE `rollouts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text,
	`vs_namespace` text NOT NULL,
	`vs_name` text NOT NULL,
	`route` text NOT NULL,
	`state` text NOT NULL,
	`body` text NOT NULL,
	`next_check_at` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
CREATE INDEX `rollouts_vs` ON `rollouts` (`vs_namespace`,`vs_name`,`state`);--> statement-breakpoint
CREATE INDEX `rollouts_state` ON `rollouts` (`state`);--> statement-breakpoint
CREATE TABLE `webhooks` (
	`name` text PRIMARY KEY NOT NULL,
	`url` text NOT NULL,
	`secret_cipher` text NOT NULL,
	`events` text DEFAULT '[]' NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `revisions` ADD `outcome` text;--> statement-breakpoint
ALTER TABLE `revisions` ADD `outcome_at` text;