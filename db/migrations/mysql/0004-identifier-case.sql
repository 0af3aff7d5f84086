-- ClOrdIDs are compared exactly (case-sensitively) by the order path and the FIX gateway, so the
-- database must compare them the same way: with the database's default case-insensitive collation
-- 'CaseOnly' and 'caseonly' of one account collided in the unique key (an error, not an answer).
-- utf8mb4_bin compares code points; ClOrdIDs are printable ASCII without spaces, so its PAD SPACE
-- rule never applies. MODIFY keeps the unique and primary keys on these columns.
alter table `orders` modify `cl_ord_id` varchar(64) character set utf8mb4 collate utf8mb4_bin not null;
alter table `fix_cl_ord_ids` modify `cl_ord_id` varchar(64) character set utf8mb4 collate utf8mb4_bin not null, modify `orig_cl_ord_id` varchar(64) character set utf8mb4 collate utf8mb4_bin not null;

-- Usernames are one account whatever their case (signUp refuses a case variant, login accepts any
-- case). The unique key on users.username enforces that against concurrent sign-ups only while the
-- column's collation is case-insensitive: pin it rather than inherit the server's default.
alter table `users` modify `username` varchar(64) character set utf8mb4 collate utf8mb4_unicode_ci not null;
