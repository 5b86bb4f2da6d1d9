-- Refresh tokens are deleted some time after they expire (RefreshTokenRetention); this index finds them
-- without reading the live ones.
CREATE INDEX ix_refresh_tokens_expires_at ON identity.refresh_tokens (expires_at);
