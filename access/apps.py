from django.apps import AppConfig


class AccessConfig(AppConfig):
    name = "access"
    verbose_name = "Access control"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import signals  # noqa: F401 - connect session and account signals
        from .roles import grant_admin_role_permissions

        post_migrate.connect(grant_admin_role_permissions, sender=self)
