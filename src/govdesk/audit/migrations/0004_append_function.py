"""On PostgreSQL, append to the audit trail in one statement: ``govdesk_audit_append`` locks
the chain head, chains the row (SHA-256 of the previous hash and the row's keyed MAC, which
the application computes: the key never reaches the database), inserts it and moves the head.
The head row is locked only inside the database, for the time of one statement and its commit.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION govdesk_audit_append(
    p_at timestamptz, p_actor text, p_actor_role text, p_action text, p_subject_type text,
    p_subject_id text, p_subject_label text, p_ip text, p_purpose text, p_result text,
    p_detail jsonb, p_mac text
) RETURNS TABLE (new_id bigint, new_seq bigint, new_hash text) AS $$
DECLARE
    head_seq bigint;
    head_hash text;
BEGIN
    SELECT h.seq, h.hash INTO head_seq, head_hash FROM audit_chainhead h WHERE h.id = 1
        FOR UPDATE;
    IF NOT FOUND THEN
        -- Only on an empty trail (a database just flushed, say): start the chain.
        INSERT INTO audit_chainhead (id, seq, hash) VALUES (1, 0, repeat('0', 64))
            ON CONFLICT (id) DO NOTHING;
        SELECT h.seq, h.hash INTO head_seq, head_hash FROM audit_chainhead h WHERE h.id = 1
            FOR UPDATE;
    END IF;
    new_seq := head_seq + 1;
    new_hash := encode(sha256(convert_to(head_hash || p_mac, 'UTF8')), 'hex');
    INSERT INTO audit_auditevent (seq, at, actor, actor_role, action, subject_type, subject_id,
        subject_label, ip, purpose, result, detail, prev_hash, hash)
    VALUES (new_seq, p_at, p_actor, p_actor_role, p_action, p_subject_type, p_subject_id,
        p_subject_label, p_ip, p_purpose, p_result, p_detail, head_hash, new_hash)
    RETURNING id INTO new_id;
    UPDATE audit_chainhead SET seq = new_seq, hash = new_hash WHERE id = 1;
    RETURN NEXT;
END;
$$ LANGUAGE plpgsql;
"""
PG_BACKWARD = (
    "DROP FUNCTION IF EXISTS govdesk_audit_append(timestamptz, text, text, text, "
    "text, text, text, text, text, text, jsonb, text);"
)


def forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_refuse_truncate")]

    operations = [migrations.RunPython(forward, backward)]
