-- Per-symbol snapshots of the books (see the MySQL migration of the same number).
create table `book_snapshots` (`symbol` text not null, `seq` bigint not null, `order_count` integer not null, `parts` integer not null, `last_price_ticks` bigint null, `last_qty` bigint null, `last_trade_id` bigint null, `last_trade_at` bigint null, `state_hash` text null, `created_at` datetime not null, primary key (`symbol`, `seq`));
create table `book_snapshot_parts` (`symbol` text not null, `seq` bigint not null, `part` integer not null, `orders` blob not null, primary key (`symbol`, `seq`, `part`));
