"""Searches stored before queries were redacted may hold ID and phone numbers in clear: mask
them where they are (redact_numbers is idempotent, so running this twice changes nothing)."""

from typing import Any

from django.db import migrations

BATCH = 1000


def redact(apps: Any, schema_editor: Any) -> None:
    from govdesk.common.idnumbers import redact_numbers

    search_log = apps.get_model("catalog", "SearchLog")
    changed = []
    for row in search_log.objects.only("pk", "query").iterator(chunk_size=BATCH):
        redacted = redact_numbers(row.query)
        if redacted != row.query:
            row.query = redacted
            changed.append(row)
        if len(changed) >= BATCH:
            search_log.objects.bulk_update(changed, ["query"])
            changed = []
    if changed:
        search_log.objects.bulk_update(changed, ["query"])


class Migration(migrations.Migration):
    dependencies = [
        ("catalog", "0005_matter_pinned"),
    ]

    # What was redacted cannot be restored: going back leaves the rows as they are.
    operations = [migrations.RunPython(redact, migrations.RunPython.noop)]
