-- The language a delivery's email was sent in, so its install page speaks it too.
ALTER TABLE deliveries ADD COLUMN locale TEXT;
