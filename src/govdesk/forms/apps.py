from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class FormsConfig(AppConfig):
    name = "govdesk.forms"
    label = "govforms"
    verbose_name = _("Data elements and forms")

    def ready(self) -> None:
        from govdesk.catalog.versioned import catalogue_changed
        from govdesk.forms.models import DataElement, FormDefinition

        for model in (DataElement, FormDefinition):
            for signal in (post_save, post_delete):
                signal.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-{model}")
