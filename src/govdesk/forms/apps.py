from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FormsConfig(AppConfig):
    name = "govdesk.forms"
    label = "govforms"
    verbose_name = _("Data elements and forms")
