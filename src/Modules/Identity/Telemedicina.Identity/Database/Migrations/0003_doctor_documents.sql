-- Credential documents a doctor uploads for verification (the files live in the file store).
CREATE TABLE identity.doctor_documents (
    id           uuid PRIMARY KEY,
    doctor_id    uuid NOT NULL REFERENCES identity.users (id),
    file_name    text NOT NULL,
    content_type text NOT NULL,
    size_bytes   bigint NOT NULL,
    file_key     text NOT NULL,
    uploaded_at  timestamptz NOT NULL
);
CREATE INDEX doctor_documents_doctor_idx ON identity.doctor_documents (doctor_id, uploaded_at DESC);
