from django.apps import AppConfig
from django.core.signals import setting_changed
from django.utils.translation import gettext_lazy as _


class PeopleConfig(AppConfig):
    name = "govdesk.people"
    verbose_name = _("People registry")

    def ready(self) -> None:
        from govdesk.people import checks  # noqa: F401 - registers the system checks
        from govdesk.people.sources.base import forget_on_setting_change

        setting_changed.connect(forget_on_setting_change)
