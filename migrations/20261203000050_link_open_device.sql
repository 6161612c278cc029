-- Where an install link was opened, as a class the support desk's timeline can show:
-- 'iphone', 'android' or 'desktop' (a computer, or a phone the page could not tell), on
-- the history line of each opening; NULL on every other line. Adding a nullable column
-- without a default only changes the catalogue. The check is NOT VALID so no existing
-- row is read under the lock (they are all NULL); new lines are checked all the same.
ALTER TABLE delivery_history
    ADD COLUMN device TEXT,
    ADD CONSTRAINT delivery_history_device_check
        CHECK (device IN ('iphone', 'android', 'desktop')) NOT VALID;
