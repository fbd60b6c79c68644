CREATE TABLE `apply_staging` (
	`apply_id` text NOT NULL,
	`kind` text NOT NULL,
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`deleted` integer NOT NULL,
	`pass` integer NOT NULL,
	`sort_key` text NOT NULL,
	`applied` integer DEFAULT 0 NOT NULL,
	`api_version` text,
	`labels` text,
	`annotations` text,
	`spec` text,
	`uid` text,
	`resource_version` integer,
	`generation` integer,
	`created_at` text,
	`staged_at` text NOT NULL,
	PRIMARY KEY(`apply_id`, `kind`, `namespace`, `name`)
);
--> statement-breakpoint
CREATE INDEX `apply_staging_order` ON `apply_staging` (`apply_id`,`applied`,`pass`,`sort_key`);--> statement-breakpoint
CREATE INDEX `apply_staging_age` ON `apply_staging` (`staged_at`);--> statement-breakpoint
CREATE TABLE `apply_staging_refs` (
	`apply_id` text NOT NULL,
	`kind` text NOT NULL,
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`ref` text NOT NULL,
	PRIMARY KEY(`apply_id`, `kind`, `namespace`, `name`, `role`, `ref`)
);
--> statement-breakpoint
CREATE INDEX `apply_staging_refs_ref` ON `apply_staging_refs` (`apply_id`,`role`,`ref`);