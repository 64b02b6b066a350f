from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "govdesk.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_logged_in

        from govdesk.accounts import (
            checks,  # noqa: F401 - registers the system checks
            lockout,
        )
        from govdesk.accounts.sessions import staff_session_start

        user_logged_in.connect(staff_session_start, dispatch_uid="govdesk.staff_session_start")
        user_locked_out.connect(lockout.locked_out, dispatch_uid="govdesk.accounts.locked_out")
