-- Per-symbol snapshots of the books: every resting order at one seq, so a start-up (or a replica's
-- reload) restores the snapshot and applies the journal after it instead of reading every open
-- order row, and the journal behind the oldest kept snapshot can be pruned.
-- A header row is written first as a claim (state_hash null: being written), then its parts,
-- then state_hash: only snapshots with a state_hash are used.
-- orders: the book image (7 float64 per order, little-endian), split in parts of at most
-- 16384 orders (under 1 MiB each, well below max_allowed_packet).
create table `book_snapshots` (`symbol` varchar(32) not null, `seq` bigint not null, `order_count` int not null, `parts` int not null, `last_price_ticks` bigint null, `last_qty` bigint null, `last_trade_id` bigint null, `last_trade_at` bigint null, `state_hash` char(16) null, `created_at` datetime(3) not null, primary key (`symbol`, `seq`)) default character set utf8mb4 engine = InnoDB;
create table `book_snapshot_parts` (`symbol` varchar(32) not null, `seq` bigint not null, `part` int not null, `orders` mediumblob not null, primary key (`symbol`, `seq`, `part`)) default character set utf8mb4 engine = InnoDB;
