from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save
from django.utils.translation import gettext_lazy as _


class CatalogConfig(AppConfig):
    name = "govdesk.catalog"
    verbose_name = _("Catalogue")

    def ready(self) -> None:
        from govdesk.catalog import models
        from govdesk.catalog.versioned import catalogue_changed

        kept = (
            models.LifeEvent,
            models.Matter,
            models.MaterialRequirement,
            models.Bundle,
            models.BundleStep,
            models.OfferRule,
            models.CertificateType,
            models.ForbiddenCertificate,
            models.SynonymGroup,
        )
        for model in kept:
            for signal in (post_save, post_delete):
                signal.connect(catalogue_changed, sender=model, dispatch_uid=f"catalogue-{model}")
