-- Catalog search through indexes only (docs/API.md, "Catalog search").
-- Names: an FTS5 table with the trigram tokenizer (any substring of 3+ characters, case-insensitive),
-- keyed by a stable id per symbol (a products rowid may change on VACUUM), kept in sync by triggers.
create table `product_search_ids` (`id` integer not null primary key autoincrement, `symbol` text not null unique);
create virtual table `product_search` using fts5(`name`, tokenize = 'trigram');
insert into `product_search_ids` (`symbol`) select `symbol` from `products` order by `symbol`;
insert into `product_search` (`rowid`, `name`) select i.`id`, p.`name` from `product_search_ids` i join `products` p on p.`symbol` = i.`symbol`;
create trigger `products_search_insert` after insert on `products` begin insert into `product_search_ids` (`symbol`) values (new.`symbol`); insert into `product_search` (`rowid`, `name`) values (last_insert_rowid(), new.`name`); end;
create trigger `products_search_update` after update of `name` on `products` begin update `product_search` set `name` = new.`name` where `rowid` = (select `id` from `product_search_ids` where `symbol` = new.`symbol`); end;
create trigger `products_search_delete` after delete on `products` begin delete from `product_search` where `rowid` = (select `id` from `product_search_ids` where `symbol` = old.`symbol`); delete from `product_search_ids` where `symbol` = old.`symbol`; end;
-- Browsing one type in symbol order reads only that type's rows, from where the page starts.
create index `products_type_symbol_index` on `products` (`type`, `symbol`);
