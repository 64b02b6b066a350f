"""A sign-in challenge for any well-formed ID number, registered or not: keyed by the number's
keyed reference (``subject``), the person and the phone optional."""

import django.db.models.deletion
from django.db import migrations, models


def subjects_fill(apps, schema_editor):  # type: ignore[no-untyped-def]
    from govdesk.common.idnumbers import person_ref

    SignInCode = apps.get_model("accounts", "SignInCode")
    for row in SignInCode.objects.select_related("person").iterator():
        row.subject = person_ref(row.person.id_number)
        row.save(update_fields=["subject"])


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_lockout_to_axes"),
        ("people", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="signincode",
            name="subject",
            field=models.CharField(default="", max_length=32),
            preserve_default=False,
        ),
        migrations.RunPython(subjects_fill, migrations.RunPython.noop, elidable=True),
        migrations.AlterField(
            model_name="signincode",
            name="person",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="sign_in_codes",
                to="people.person",
            ),
        ),
        migrations.AlterField(
            model_name="signincode",
            name="phone",
            field=models.CharField(blank=True, max_length=20),
        ),
        migrations.RemoveIndex(model_name="signincode", name="accounts_si_person__257e58_idx"),
        migrations.AddIndex(
            model_name="signincode",
            index=models.Index(
                fields=["subject", "created_at"], name="accounts_si_subject_a43b53_idx"
            ),
        ),
    ]
