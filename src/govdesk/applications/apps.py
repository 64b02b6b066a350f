from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApplicationsConfig(AppConfig):
    name = "govdesk.applications"
    verbose_name = _("Applications")

    def ready(self) -> None:
        from govdesk.applications import licences

        licences.register_all()

        from govdesk.applications.services import outcome_intents_dispatch
        from govdesk.common import outbox

        outbox.register("outcome_intents", outcome_intents_dispatch)
