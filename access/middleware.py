"""Session lifetime and the second-factor requirement.

SessionTimeoutMiddleware ends a session after ACCESS_SESSION_IDLE_SECONDS without a request, or
ACCESS_SESSION_ABSOLUTE_SECONDS after login whatever the activity: a terminal left open in a
shared office, or a stolen cookie, stops working. SESSION_COOKIE_AGE alone cannot do this: the
cookie's expiry is renewed whenever the session is saved, and the browser can be told anything.

SecondFactorRequiredMiddleware refuses a session of a role that needs a second factor unless the
session was verified with a TOTP code at login.

Both run after AuthenticationMiddleware and django-otp's OTPMiddleware. API calls with a bearer
token are not affected: DRF authenticates them inside the view, after these have run, and tokens
are issued by administrators (access.tokens).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse, QueryDict
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils.translation import gettext as _

from .second_factor import user_requires_second_factor
from .services import user_session_rekey

LOGIN_AT_KEY = "access_login_at"
LAST_SEEN_KEY = "access_last_seen_at"
# How stale "last seen" may get before it is written again: saving the session on every request
# would make every page view a database write, for a precision nobody needs.
LAST_SEEN_PRECISION = 60
API_PATH_PREFIX = "/api/"


def session_clock_start(session) -> None:
    """At login: the absolute and idle clocks start now."""
    now = time.time()
    session[LOGIN_AT_KEY] = now
    session[LAST_SEEN_KEY] = now


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith(API_PATH_PREFIX)


def _login_redirect(request: HttpRequest, **extra: str) -> HttpResponseRedirect:
    query = QueryDict(mutable=True)
    query["next"] = request.get_full_path()
    query.update(extra)
    return HttpResponseRedirect(f"{resolve_url(settings.LOGIN_URL)}?{query.urlencode()}")


class SessionTimeoutMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key_before = request.session.session_key
        if request.user.is_authenticated:
            expired = self._check(request)
            if expired is not None:
                return expired
        response = self.get_response(request)
        self._follow_new_key(request, key_before)
        return response

    def _check(self, request: HttpRequest) -> HttpResponse | None:
        session = request.session
        now = time.time()
        login_at = session.get(LOGIN_AT_KEY)
        last_seen = session.get(LAST_SEEN_KEY)
        if login_at is None or last_seen is None:
            # A session made before the clocks existed: start them rather than end it. Nobody
            # can remove them from a live session: the data is on the server.
            session_clock_start(session)
            return None
        idle = now - last_seen > settings.ACCESS_SESSION_IDLE_SECONDS
        too_old = now - login_at > settings.ACCESS_SESSION_ABSOLUTE_SECONDS
        if idle or too_old:
            # logout() flushes the session and sends user_logged_out, so the session is no
            # longer tracked and the audit trail sees the end of it.
            logout(request)
            if _is_api(request):
                response = JsonResponse(
                    {"detail": _("Your session has expired. Log in again.")}, status=401
                )
                response["WWW-Authenticate"] = "Bearer"
                return response
            return _login_redirect(request, expired="1")
        if now - last_seen >= LAST_SEEN_PRECISION:
            session[LAST_SEEN_KEY] = now
        return None

    @staticmethod
    def _follow_new_key(request: HttpRequest, key_before: str | None) -> None:
        """A password change cycles the session key while the user stays logged in (our form
        and the admin's alike): keep tracking the session under its new key. Logins are
        tracked by the user_logged_in signal; this only drops the key they replaced."""
        key_after = request.session.session_key
        if key_before and key_after and key_before != key_after and request.user.is_authenticated:
            user_session_rekey(user=request.user, old_key=key_before, new_key=key_after)


class SecondFactorRequiredMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not self._exempt(request)
            and user_requires_second_factor(user)
            and not user.is_verified()
        ):
            if _is_api(request):
                return JsonResponse(
                    {"detail": _("This account must log in with its authenticator code.")},
                    status=403,
                )
            return _login_redirect(request)
        return self.get_response(request)

    @staticmethod
    def _exempt(request: HttpRequest) -> bool:
        path = request.path
        if path in (reverse("login"), reverse("logout")):
            return True
        static = settings.STATIC_URL or ""
        local_static = static and not static.startswith(("http://", "https://", "//"))
        if local_static and path.startswith("/" + static.lstrip("/")):
            return True
        # A bearer-token API call is authenticated by its token, not by this session's cookie
        # (DRF tries the token first and never falls back to the session when one is given).
        return _is_api(request) and request.headers.get("Authorization", "").lower().startswith(
            "bearer "
        )
