from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


def _regions_changed(**_kwargs: Any) -> None:
    from govdesk.organisations.selectors import region_cache_clear

    region_cache_clear()


class OrganisationsConfig(AppConfig):
    name = "govdesk.organisations"
    verbose_name = _("Organisation")

    def ready(self) -> None:
        # Only a cache is invalidated here: no business rule lives in a signal.
        post_save.connect(_regions_changed, sender="organisations.Region")
        post_delete.connect(_regions_changed, sender="organisations.Region")
        post_save.connect(_regions_changed, sender="organisations.ServicePoint")
        post_delete.connect(_regions_changed, sender="organisations.ServicePoint")
