from django.apps import AppConfig


class PfifConfig(AppConfig):
    """PFIF 1.1-1.4 interchange with Person Finder-style repositories: feeds out, documents in."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "pfif"
    verbose_name = "PFIF interchange"
