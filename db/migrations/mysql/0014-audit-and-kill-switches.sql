-- The audit trail: one row per admin action (role, disable, halt, product changes, limits, kill
-- switches, FIX CompID bindings) and per login attempt (GraphQL login or FIX Logon), written in
-- the transaction of the change it records. Append-only: the application never updates or
-- deletes a row. actor_id/actor: who acted (for a login, the account and the username typed);
-- target: what was acted on (an account id, a symbol, a CompID); details: JSON of the values set.
create table `audit_log` (`id` bigint unsigned not null auto_increment primary key, `at` datetime(3) not null, `actor_id` int null, `actor` varchar(64) not null, `address` varchar(64) null, `action` varchar(32) not null, `target` varchar(128) null, `details` text null, `outcome` varchar(32) not null) default character set utf8mb4 engine = InnoDB;
alter table `audit_log` add index `audit_log_at_index`(`at`);
alter table `audit_log` add index `audit_log_actor_id_id_index`(`actor_id`, `id`);
alter table `audit_log` add index `audit_log_action_id_index`(`action`, `id`);
-- Cancel-on-disconnect: the account's default for its FIX sessions (a Logon may override it, tag 8013).
alter table `users` add `cancel_on_disconnect` tinyint(1) not null default false;
