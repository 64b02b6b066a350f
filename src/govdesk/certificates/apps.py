from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "govdesk.certificates"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        from govdesk.certificates import handlers

        handlers.register_all()
