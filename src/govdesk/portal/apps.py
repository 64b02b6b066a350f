from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "govdesk.portal"
