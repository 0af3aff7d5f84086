-- FIX gateway: persisted session state (sequence numbers, CompID binding, lease) and the ClOrdIDs of
-- accepted cancel/replace requests (generated from api/src/modules/fix/*.entity.ts, then reviewed).
create table `fix_sessions` (`sender_comp_id` varchar(64) not null, `target_comp_id` varchar(64) not null, `account_id` int not null, `next_sender_seq` bigint not null default 1, `next_target_seq` bigint not null default 1, `created_at` datetime(3) not null, `owner` varchar(64) null, `lease_until` datetime(3) null, `updated_at` datetime(3) not null, primary key (`sender_comp_id`, `target_comp_id`)) default character set utf8mb4 engine = InnoDB;
alter table `fix_sessions` add index `fix_sessions_account_id_index`(`account_id`);

create table `fix_cl_ord_ids` (`account_id` int unsigned not null, `cl_ord_id` varchar(64) not null, `order_id` bigint not null, `orig_cl_ord_id` varchar(64) not null, `kind` enum('REPLACE', 'CANCEL') not null, `created_at` datetime(3) not null, primary key (`account_id`, `cl_ord_id`)) default character set utf8mb4 engine = InnoDB;
alter table `fix_cl_ord_ids` add index `fix_cl_ord_ids_order_id_index`(`order_id`);
