-- ClOrdIDs: SQLite compares text with the BINARY collation (case-sensitively) already, as the order
-- path does; nothing to change (MySQL's 0004 moves them to utf8mb4_bin).

-- Usernames are one account whatever their case (signUp refuses a case variant, login accepts any
-- case), but `users_username_unique` compares case-sensitively here, so two concurrent sign-ups of
-- 'alice' and 'ALICE' could both pass signUp's check. This index makes the second one fail.
-- (The usernames allowed are ASCII, which SQLite's lower() folds.)
create unique index `users_username_lower_unique` on `users` (lower(`username`));
