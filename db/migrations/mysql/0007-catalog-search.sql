-- Catalog search through indexes only (docs/API.md, "Catalog search").
-- Names: every distinct 3-character substring of the lower-cased name, per product (MariaDB has no
-- ngram FULLTEXT parser). The API keeps it in sync when it adds or renames a product; this fills
-- it for the products already there (positions 1 to 300 cover any name of up to 255 characters).
create table `product_trigrams` (`trigram` varchar(3) character set utf8mb4 collate utf8mb4_bin not null, `symbol` varchar(32) not null, primary key (`trigram`, `symbol`), index `product_trigrams_symbol_index` (`symbol`)) default character set utf8mb4 engine = InnoDB;
insert ignore into `product_trigrams` (`trigram`, `symbol`) select lower(substring(p.`name`, n.i, 3)), p.`symbol` from `products` p join (select a.d + 10 * b.d + 100 * c.d + 1 as i from (select 0 as d union all select 1 union all select 2 union all select 3 union all select 4 union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) a cross join (select 0 as d union all select 1 union all select 2 union all select 3 union all select 4 union all select 5 union all select 6 union all select 7 union all select 8 union all select 9) b cross join (select 0 as d union all select 1 union all select 2) c) n on n.i <= char_length(p.`name`) - 2;
-- Browsing one type in symbol order reads only that type's rows, from where the page starts.
alter table `products` add index `products_type_symbol_index` (`type`, `symbol`);
