-- 0008: reserved for a migration being written on another branch at the same time as 0009
-- (the admin web). The migration runner needs an unbroken sequence, so this empty file holds
-- the number until that branch lands; at merge it is replaced by that branch's 0008.
SELECT 1;
