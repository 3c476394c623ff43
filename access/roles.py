"""Django model permissions for the admin role, so administrators manage users, roles, offices
and agreements in the Django admin without being superusers (and without case data)."""

ADMIN_ROLE_PERMISSIONS = {
    "auth": ["user", "group"],
    "cases": ["office"],
    "access": ["officemembership", "partneragreement", "apitoken", "usersession"],
}


def grant_admin_role_permissions(**kwargs) -> None:
    """post_migrate: permissions exist only after migrations, so grant them then."""
    from django.contrib.auth.models import Group, Permission

    group = Group.objects.filter(name="admin").first()
    if group is None:
        return
    wanted = Permission.objects.none()
    for app_label, models in ADMIN_ROLE_PERMISSIONS.items():
        wanted |= Permission.objects.filter(
            content_type__app_label=app_label, content_type__model__in=models
        )
    group.permissions.add(*wanted)
