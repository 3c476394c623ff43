"""The site navigation, asked of the policy: a link shows only when the user may use its page
(the page itself still checks: hiding a link is a courtesy, not the control)."""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from . import policy


def _links(user: Any) -> list[tuple[str, Any, bool]]:
    from exports.services import exports_permitted

    return [
        ("cases:home", _("Home"), True),
        ("cases:list", _("Cases"), policy.case_pages_allowed(user)),
        ("graves:site-list", _("Graves"), policy.allowed(user, policy.VIEW, "grave_site")),
        ("aid:home", _("Aid"), policy.allowed(user, policy.VIEW, "disbursement")),
        ("reports:index", _("Reports"), policy.allowed(user, policy.VIEW, "report")),
        ("exports:list", _("Exports"), exports_permitted(user)),
        ("audit-list", _("Audit trail"), policy.allowed(user, policy.VIEW, "audit")),
        ("admin:index", _("Administration"), bool(getattr(user, "is_staff", False))),
        ("account", _("Account"), True),
    ]


def navigation(request) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_links": []}
    links = []
    for name, label, shown in _links(user):
        if not shown:
            continue
        try:
            links.append({"url": reverse(name), "label": label, "current": False})
        except NoReverseMatch:
            continue
    # The current area is the link whose address is the longest start of this page's.
    matching = [link for link in links if request.path.startswith(link["url"])]
    if matching:
        max(matching, key=lambda link: len(link["url"]))["current"] = True
    return {"nav_links": links}
