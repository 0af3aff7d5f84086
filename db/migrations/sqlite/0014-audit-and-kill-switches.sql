-- The audit trail and cancel-on-disconnect (see the MySQL migration of the same number).
create table `audit_log` (`id` integer not null primary key autoincrement, `at` datetime not null, `actor_id` integer null, `actor` text not null, `address` text null, `action` text not null, `target` text null, `details` text null, `outcome` text not null);
create index `audit_log_at_index` on `audit_log` (`at`);
create index `audit_log_actor_id_id_index` on `audit_log` (`actor_id`, `id`);
create index `audit_log_action_id_index` on `audit_log` (`action`, `id`);
alter table `users` add `cancel_on_disconnect` integer not null default false;
