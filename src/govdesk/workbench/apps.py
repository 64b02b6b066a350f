from django.apps import AppConfig


class WorkbenchConfig(AppConfig):
    name = "govdesk.workbench"
