-- Hub tickets used to open a hub WebSocket: a ticket opens one connection, on any silo, so the access_token a load
-- balancer's access log keeps is already spent. Rows are deleted once the ticket has expired.
CREATE TABLE identity.hub_tickets_used (
    ticket_id  uuid PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

CREATE INDEX ix_hub_tickets_used_expires_at ON identity.hub_tickets_used (expires_at);
