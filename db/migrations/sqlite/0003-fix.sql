-- FIX gateway: persisted session state (sequence numbers, CompID binding, lease) and the ClOrdIDs of
-- accepted cancel/replace requests (generated from api/src/modules/fix/*.entity.ts, then reviewed).
create table `fix_sessions` (`sender_comp_id` text not null, `target_comp_id` text not null, `account_id` integer not null, `next_sender_seq` bigint not null default 1, `next_target_seq` bigint not null default 1, `created_at` datetime not null, `owner` text null, `lease_until` datetime null, `updated_at` datetime not null, primary key (`sender_comp_id`, `target_comp_id`));
create index `fix_sessions_account_id_index` on `fix_sessions` (`account_id`);

create table `fix_cl_ord_ids` (`account_id` integer not null, `cl_ord_id` text not null, `order_id` bigint not null, `orig_cl_ord_id` text not null, `kind` text check (`kind` in ('REPLACE', 'CANCEL')) not null, `created_at` datetime not null, primary key (`account_id`, `cl_ord_id`));
create index `fix_cl_ord_ids_order_id_index` on `fix_cl_ord_ids` (`order_id`);
