"""On PostgreSQL refuse TRUNCATE of the audit trail too (a row trigger does not see it).

The test suite, which empties its own database between tests, sets the session variable
``govdesk.audit_truncate = 'allow'`` on its connections (tests/conftest.py). Like the other
trigger, this guards against mistakes, not against the table's owner: in production the
application connects as a role that is granted only INSERT and SELECT on this table.
"""

from django.db import migrations

PG_FORWARD = """
CREATE OR REPLACE FUNCTION govdesk_audit_no_truncate() RETURNS trigger AS $$
BEGIN
    IF current_setting('govdesk.audit_truncate', true) = 'allow' THEN
        RETURN NULL;
    END IF;
    RAISE EXCEPTION 'the audit trail is append-only (TRUNCATE refused)'
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_auditevent
    FOR EACH STATEMENT EXECUTE FUNCTION govdesk_audit_no_truncate();
"""
PG_BACKWARD = """
DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent;
DROP FUNCTION IF EXISTS govdesk_audit_no_truncate();
"""


def trigger_forward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_FORWARD, params=None)


def trigger_backward(apps, schema_editor):  # type: ignore[no-untyped-def]
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_BACKWARD, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_head_and_append_only")]

    operations = [migrations.RunPython(trigger_forward, trigger_backward)]
