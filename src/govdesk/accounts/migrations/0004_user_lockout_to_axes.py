"""Failed staff logins are counted by django-axes per (user name, address) and per address
(accounts/lockout.py); the per-user counter and lock on the user row go."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_security_permission"),
    ]

    operations = [
        migrations.RemoveField(model_name="user", name="failed_logins"),
        migrations.RemoveField(model_name="user", name="locked_until"),
    ]
