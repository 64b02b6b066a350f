from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RatingsConfig(AppConfig):
    name = "govdesk.ratings"
    verbose_name = _("Service ratings (好差评)")

    def ready(self) -> None:
        from govdesk.common import outbox
        from govdesk.ratings.services import ratings_invite_due

        # Not an outbox, but periodic work the worker does on its passes (智能邀评).
        outbox.register("ratings_invite", ratings_invite_due)
