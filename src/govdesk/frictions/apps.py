from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrictionsConfig(AppConfig):
    name = "govdesk.frictions"
    verbose_name = _("Friction log (错题本)")
