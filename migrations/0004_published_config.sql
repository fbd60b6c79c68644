CREATE TABLE `object_refs` (
	`kind` text NOT NULL,
	`namespace` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`ref` text NOT NULL,
	PRIMARY KEY(`kind`, `namespace`, `name`, `role`, `ref`)
);
--> statement-breakpoint
CREATE INDEX `object_refs_ref` ON `object_refs` (`role`,`ref`);--> statement-breakpoint
ALTER TABLE `revisions` ADD `root` text;