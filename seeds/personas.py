"""Demo personas: one account per role, plus a caseworker of another office (development only).

Listed in the README with how to log in as each. Created through the account service, so they
are exactly what `manage.py create_user` would make.
"""

import datetime as dt

from access.models import PartnerAgreement, Role

# (username, role, office codes)
PERSONAS: list[tuple[str, str, list[str]]] = [
    ("caseworker-duhok", Role.CASEWORKER, ["DHK"]),
    ("caseworker-sinjar", Role.CASEWORKER, ["SNJ"]),
    ("supervisor-duhok", Role.SUPERVISOR, ["DHK"]),
    ("forensic", Role.FORENSIC, []),
    ("aid-officer-duhok", Role.AID_OFFICER, ["DHK"]),
    ("analyst", Role.ANALYST, []),
    ("auditor", Role.AUDITOR, []),
    ("partner-registry", Role.PARTNER, []),
    ("administrator", Role.ADMIN, []),
]
PARTNER_FIELDS = [
    "given_name_latn",
    "family_name_latn",
    "sex",
    "age_at_abduction",
    "origin",
    "abducted_on",
    "rescued_on",
]


def personas_create(*, password: str | None) -> list[str]:
    """Create the personas that do not exist yet (without a usable password unless one is
    given); return the usernames created."""
    from django.contrib.auth import get_user_model

    from access.services import user_create
    from cases.models import Office

    existing = set(
        get_user_model()
        .objects.filter(username__in=[name for name, *_ in PERSONAS])
        .values_list("username", flat=True)
    )
    created = []
    for username, role, offices in PERSONAS:
        if username in existing:
            continue
        user = user_create(username=username, role=role, offices=offices, password=password)
        created.append(username)
        if role == Role.PARTNER:
            agreement = PartnerAgreement.objects.create(
                name="Demo registry data-sharing agreement",
                partner=user,
                fields=PARTNER_FIELDS,
                may_receive_deaths=False,
                valid_from=dt.date(2024, 1, 1),
            )
            agreement.offices.set(Office.objects.filter(code__in=["DHK", "SNJ"]))
    return created
