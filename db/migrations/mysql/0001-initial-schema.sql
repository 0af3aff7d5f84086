-- Initial schema (generated from the entities with scripts/print-create-schema.ts, then reviewed).
create table `executions` (`id` bigint unsigned not null auto_increment primary key, `exec_id` varchar(64) not null, `trade_id` bigint not null, `symbol` varchar(32) not null, `order_id` bigint not null, `account_id` int not null, `side` enum('BUY', 'SELL') not null, `maker` tinyint(1) not null, `price_ticks` bigint not null, `qty` bigint not null, `counter_order_id` bigint not null, `created_at` datetime(3) not null) default character set utf8mb4 engine = InnoDB;
alter table `executions` add unique `executions_exec_id_unique`(`exec_id`);
alter table `executions` add index `executions_order_id_index`(`order_id`);
alter table `executions` add index `executions_symbol_id_index`(`symbol`, `id`);
alter table `executions` add index `executions_account_id_symbol_index`(`account_id`, `symbol`);

create table `id_blocks` (`name` varchar(32) not null, `next_id` bigint not null, primary key (`name`)) default character set utf8mb4 engine = InnoDB;

create table `orders` (`id` bigint unsigned not null, `cl_ord_id` varchar(64) not null, `account_id` int not null, `symbol` varchar(32) not null, `side` enum('BUY', 'SELL') not null, `ord_type` enum('MARKET', 'LIMIT') not null, `tif` enum('DAY', 'GTC', 'IOC', 'FOK') not null, `post_only` tinyint(1) not null default false, `price_ticks` bigint not null, `qty` bigint not null, `cum_qty` bigint not null default 0, `leaves_qty` bigint not null, `cum_notional` bigint not null default 0, `status` enum('PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED') not null, `reason` varchar(32) null, `priority_seq` bigint not null, `created_at` datetime(3) not null, `updated_at` datetime(3) not null, primary key (`id`)) default character set utf8mb4 engine = InnoDB;
alter table `orders` add index `orders_status_created_at_index`(`status`, `created_at`);
alter table `orders` add index `orders_account_id_created_at_index`(`account_id`, `created_at`);
alter table `orders` add index `orders_symbol_status_index`(`symbol`, `status`);
alter table `orders` add unique `orders_account_id_cl_ord_id_unique`(`account_id`, `cl_ord_id`);

create table `products` (`symbol` varchar(32) not null, `name` varchar(255) not null, `type` enum('stock', 'etf', 'fund', 'trust') not null, `tick_size` varchar(20) not null default '0.01', `ref_price_ticks` bigint null, `last_price_ticks` bigint null, `last_trade_at` datetime(3) null, `status` enum('TRADING', 'HALTED') not null default 'TRADING', `book_seq` bigint not null default 0, `updated_at` datetime(3) not null, primary key (`symbol`)) default character set utf8mb4 engine = InnoDB;
alter table `products` add index `products_name_index`(`name`);
alter table `products` add index `products_type_index`(`type`);

create table `users` (`id` int unsigned not null auto_increment primary key, `username` varchar(64) not null, `password_hash` varchar(255) not null, `role` enum('TRADER', 'SUPPORT', 'ADMIN') not null default 'TRADER', `member_since` date not null, `disabled` tinyint(1) not null default false, `created_at` datetime(3) not null) default character set utf8mb4 engine = InnoDB;
alter table `users` add unique `users_username_unique`(`username`);
alter table `users` add index `users_created_at_index`(`created_at`);

create table `sessions` (`id` int unsigned not null auto_increment primary key, `token_hash` varchar(64) not null, `user_id` int unsigned not null, `created_at` datetime(3) not null, `expires_at` datetime(3) not null, `revoked_at` datetime(3) null) default character set utf8mb4 engine = InnoDB;
alter table `sessions` add unique `sessions_token_hash_unique`(`token_hash`);
alter table `sessions` add index `sessions_user_id_index`(`user_id`);

alter table `sessions` add constraint `sessions_user_id_foreign` foreign key (`user_id`) references `users` (`id`) on update cascade on delete cascade;


insert into `id_blocks` (`name`, `next_id`) values ('orders', 1);
