from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data: regions, staff, the personas of PRODUCT.md and a synthetic population.
    Depends on every domain app; nothing depends on it."""

    name = "govdesk.demo"
