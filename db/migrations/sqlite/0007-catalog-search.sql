-- Catalog search through indexes only (docs/API.md, "Catalog search").
-- Names: an FTS5 table with the trigram tokenizer (any substring of 3+ characters, case-insensitive)
-- that also carries the symbol and type, so a search ranks and filters its matches without reading
-- products; keyed by a stable id per symbol (a products rowid may change on VACUUM) and kept in
-- sync by triggers.
create table `product_search_ids` (`id` integer not null primary key autoincrement, `symbol` text not null unique);
create virtual table `product_search` using fts5(`symbol` unindexed, `type` unindexed, `name`, tokenize = 'trigram');
insert into `product_search_ids` (`symbol`) select `symbol` from `products` order by `symbol`;
insert into `product_search` (`rowid`, `symbol`, `type`, `name`) select i.`id`, p.`symbol`, p.`type`, p.`name` from `product_search_ids` i join `products` p on p.`symbol` = i.`symbol`;
create trigger `products_search_insert` after insert on `products` begin insert into `product_search_ids` (`symbol`) values (new.`symbol`); insert into `product_search` (`rowid`, `symbol`, `type`, `name`) values (last_insert_rowid(), new.`symbol`, new.`type`, new.`name`); end;
create trigger `products_search_update` after update of `name`, `type` on `products` begin update `product_search` set `type` = new.`type`, `name` = new.`name` where `rowid` = (select `id` from `product_search_ids` where `symbol` = new.`symbol`); end;
create trigger `products_search_delete` after delete on `products` begin delete from `product_search` where `rowid` = (select `id` from `product_search_ids` where `symbol` = old.`symbol`); delete from `product_search_ids` where `symbol` = old.`symbol`; end;
-- Browsing one type in symbol order reads only that type's rows, from where the page starts.
create index `products_type_symbol_index` on `products` (`type`, `symbol`);
