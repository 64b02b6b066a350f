"""低保 and disability get records of their own (civil affairs, the disabled persons' federation).

低保 stored earlier as ``dibao.status`` registry facts moves into ``DibaoRecord`` (covered from
the fact's ``valid_from``, until its ``valid_until``). Disabilities stored as
``disability.grade`` facts held a grade only (synthetic data: no category, no certificate
number), which a record cannot be made from: they are removed; ``govdesk generate-people`` on a
fresh database makes disabilities with every field and the certificate as an e-licence.
"""

from typing import Any

import django.db.models.deletion
from django.db import migrations, models

BATCH = 2000


def move_dibao_facts(apps: Any, schema_editor: Any) -> None:
    fact = apps.get_model("people", "RegistryFact")
    record = apps.get_model("people", "DibaoRecord")
    dibao = fact.objects.filter(element="dibao.status")
    rows = [
        record(
            person_id=f.person_id,
            since=f.valid_from or f.updated_at.date(),
            until=f.valid_until,
            updated_at=f.updated_at,
        )
        for f in dibao.iterator(chunk_size=BATCH)
    ]
    record.objects.bulk_create(rows, batch_size=BATCH)
    fact.objects.filter(element__in=["dibao.status", "disability.grade"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.CreateModel(
            name="DibaoRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("since", models.DateField(verbose_name="covered since")),
                ("until", models.DateField(blank=True, null=True, verbose_name="covered until")),
                ("updated_at", models.DateTimeField(verbose_name="registry updated at")),
                (
                    "person",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="dibao",
                        to="people.person",
                    ),
                ),
            ],
            options={
                "verbose_name": "minimum living allowance record",
                "verbose_name_plural": "minimum living allowance records",
            },
        ),
        migrations.CreateModel(
            name="DisabilityRecord",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "category",
                    models.CharField(
                        choices=[
                            ("visual", "Visual disability"),
                            ("hearing", "Hearing disability"),
                            ("speech", "Speech disability"),
                            ("physical", "Physical disability"),
                            ("intellectual", "Intellectual disability"),
                            ("mental", "Mental disability"),
                            ("multiple", "Multiple disabilities"),
                        ],
                        max_length=16,
                        verbose_name="category",
                    ),
                ),
                (
                    "grade",
                    models.CharField(
                        choices=[
                            ("1", "Grade 1"),
                            ("2", "Grade 2"),
                            ("3", "Grade 3"),
                            ("4", "Grade 4"),
                        ],
                        max_length=1,
                        verbose_name="grade",
                    ),
                ),
                (
                    "certificate_number",
                    models.CharField(
                        max_length=20, unique=True, verbose_name="disability certificate number"
                    ),
                ),
                ("assessed_on", models.DateField(verbose_name="assessed on")),
                ("updated_at", models.DateTimeField(verbose_name="registry updated at")),
                (
                    "person",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="disability",
                        to="people.person",
                    ),
                ),
            ],
            options={
                "verbose_name": "disability record",
                "verbose_name_plural": "disability records",
            },
        ),
        migrations.RunPython(move_dibao_facts, migrations.RunPython.noop),
    ]
