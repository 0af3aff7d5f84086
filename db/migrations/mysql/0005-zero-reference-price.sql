-- A catalog price of 0.00 means no price is known: the reference is null, as for an empty price
-- (a change against zero would be the whole last price). New catalogs load that way (catalog.ts).
update products set ref_price_ticks = null where ref_price_ticks = 0;
