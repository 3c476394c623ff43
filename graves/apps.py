from django.apps import AppConfig


class GravesConfig(AppConfig):
    name = "graves"
    verbose_name = "Graves"
