-- Initial schema (generated from the entities with scripts/print-create-schema.ts, then reviewed).
create table `executions` (`id` integer not null primary key autoincrement, `exec_id` text not null, `trade_id` bigint not null, `symbol` text not null, `order_id` bigint not null, `account_id` integer not null, `side` text check (`side` in ('BUY', 'SELL')) not null, `maker` integer not null, `price_ticks` bigint not null, `qty` bigint not null, `counter_order_id` bigint not null, `created_at` datetime not null);
create unique index `executions_exec_id_unique` on `executions` (`exec_id`);
create index `executions_order_id_index` on `executions` (`order_id`);
create index `executions_symbol_id_index` on `executions` (`symbol`, `id`);
create index `executions_account_id_symbol_index` on `executions` (`account_id`, `symbol`);

create table `id_blocks` (`name` text not null, `next_id` bigint not null, primary key (`name`));

create table `orders` (`id` bigint not null, `cl_ord_id` text not null, `account_id` integer not null, `symbol` text not null, `side` text check (`side` in ('BUY', 'SELL')) not null, `ord_type` text check (`ord_type` in ('MARKET', 'LIMIT')) not null, `tif` text check (`tif` in ('DAY', 'GTC', 'IOC', 'FOK')) not null, `post_only` integer not null default false, `price_ticks` bigint not null, `qty` bigint not null, `cum_qty` bigint not null default 0, `leaves_qty` bigint not null, `cum_notional` bigint not null default 0, `status` text check (`status` in ('PENDING_NEW', 'NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'REJECTED', 'EXPIRED')) not null, `reason` text null, `priority_seq` bigint not null, `created_at` datetime not null, `updated_at` datetime not null, primary key (`id`));
create index `orders_status_created_at_index` on `orders` (`status`, `created_at`);
create index `orders_account_id_created_at_index` on `orders` (`account_id`, `created_at`);
create index `orders_symbol_status_index` on `orders` (`symbol`, `status`);
create unique index `orders_account_id_cl_ord_id_unique` on `orders` (`account_id`, `cl_ord_id`);

create table `products` (`symbol` text not null, `name` text not null, `type` text check (`type` in ('stock', 'etf', 'fund', 'trust')) not null, `tick_size` text not null default '0.01', `ref_price_ticks` bigint null, `last_price_ticks` bigint null, `last_trade_at` datetime null, `status` text check (`status` in ('TRADING', 'HALTED')) not null default 'TRADING', `book_seq` bigint not null default 0, `updated_at` datetime not null, primary key (`symbol`));
create index `products_name_index` on `products` (`name`);
create index `products_type_index` on `products` (`type`);

create table `users` (`id` integer not null primary key autoincrement, `username` text not null, `password_hash` text not null, `role` text check (`role` in ('TRADER', 'SUPPORT', 'ADMIN')) not null default 'TRADER', `member_since` date not null, `disabled` integer not null default false, `created_at` datetime not null);
create unique index `users_username_unique` on `users` (`username`);
create index `users_created_at_index` on `users` (`created_at`);

create table `sessions` (`id` integer not null primary key autoincrement, `token_hash` text not null, `user_id` integer not null, `created_at` datetime not null, `expires_at` datetime not null, `revoked_at` datetime null, constraint `sessions_user_id_foreign` foreign key(`user_id`) references `users`(`id`) on delete cascade on update cascade);
create unique index `sessions_token_hash_unique` on `sessions` (`token_hash`);
create index `sessions_user_id_index` on `sessions` (`user_id`);


insert into `id_blocks` (`name`, `next_id`) values ('orders', 1);
