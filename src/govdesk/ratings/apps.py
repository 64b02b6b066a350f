from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    name = "govdesk.ratings"
    verbose_name = _("Service ratings (好差评)")
