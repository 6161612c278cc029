-- Install links stored by an HMAC of their token with INSTALL_LINK_SECRET, so rotating the
-- secret ends every link issued under the old one. Links issued before this release keep
-- their plain SHA-256 (`keyed` false) until they expire.
ALTER TABLE install_links ADD COLUMN keyed BOOLEAN NOT NULL DEFAULT false;
