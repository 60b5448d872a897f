-- API tokens. Only the SHA-256 digest of a token is kept (hex); the token
-- itself is shown once, when it is created, and never stored. Tokens are
-- high-entropy, so a fast digest is enough and a request finds its token by
-- digest.
CREATE TABLE api_tokens (
    id           TEXT    PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    scope        TEXT    NOT NULL CHECK (scope IN ('read', 'write', 'admin')),
    digest       TEXT    NOT NULL UNIQUE,
    created_at   BIGINT  NOT NULL, -- epoch milliseconds
    expires_at   BIGINT,
    revoked_at   BIGINT,
    last_used_at BIGINT
);
