-- The per-symbol command journal: the engine commands of each committed batch, written in the
-- batch's transaction. Entries of one symbol chain: each one's from_seq is the previous one's
-- to_seq. A replica whose book is at seq S applies the entries from S on instead of reloading.
-- state_hash: the book's state hash at to_seq, recorded every JOURNAL_HASH_EVERY seqs.
create table `book_journal` (`symbol` varchar(32) not null, `from_seq` bigint not null, `to_seq` bigint not null, `commands` mediumtext not null, `state_hash` char(16) null, `created_at` datetime(3) not null, primary key (`symbol`, `from_seq`)) default character set utf8mb4 engine = InnoDB;
alter table `book_journal` add index `book_journal_created_at_index`(`created_at`);
