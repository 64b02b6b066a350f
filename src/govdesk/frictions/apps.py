from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FrictionsConfig(AppConfig):
    name = "govdesk.frictions"
    verbose_name = _("Friction log (错题本)")

    def ready(self) -> None:
        from govdesk.common import outbox
        from govdesk.frictions.detectors import frictions_detect_due

        # Not an outbox, but periodic work the worker does on its passes.
        outbox.register("frictions_detect", frictions_detect_due)
