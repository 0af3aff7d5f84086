-- The per-symbol command journal (see the MySQL migration of the same number).
create table `book_journal` (`symbol` text not null, `from_seq` bigint not null, `to_seq` bigint not null, `commands` text not null, `state_hash` text null, `created_at` datetime not null, primary key (`symbol`, `from_seq`));
create index `book_journal_created_at_index` on `book_journal` (`created_at`);
