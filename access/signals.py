"""Session and account signals: track sessions at login/logout, and end a user's access when the
account is disabled by any path that saves the user (the admin's "active" box, a shell).

The rules themselves are services (access.services); these only connect them to events.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.db.models.signals import post_init, post_save
from django.dispatch import receiver

from .middleware import session_clock_start
from .services import user_access_end, user_session_forget, user_session_track

_WAS_ACTIVE = "_access_was_active"


@receiver(user_logged_in, dispatch_uid="access_session_started")
def session_started(sender, request, user, **kwargs) -> None:
    session = getattr(request, "session", None)
    if session is None:
        return
    session_clock_start(session)
    # login() has already cycled the key (a fresh session id at every login, against session
    # fixation), so this is the key the browser will hold from now on.
    if session.session_key:
        user_session_track(user=user, session_key=session.session_key)


@receiver(user_logged_out, dispatch_uid="access_session_ended")
def session_ended(sender, request, user, **kwargs) -> None:
    session_key = getattr(getattr(request, "session", None), "session_key", None)
    if session_key:
        user_session_forget(session_key=session_key)


@receiver(post_init, sender=settings.AUTH_USER_MODEL, dispatch_uid="access_user_loaded")
def user_loaded(sender, instance, **kwargs) -> None:
    # Remember is_active as loaded, to see a change when the user is saved. Read from __dict__
    # so that a user loaded with only() does not cost a query for the deferred field.
    setattr(instance, _WAS_ACTIVE, instance.__dict__.get("is_active"))


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="access_user_saved")
def user_saved(sender, instance, created, update_fields=None, **kwargs) -> None:
    was_active = getattr(instance, _WAS_ACTIVE, None)
    setattr(instance, _WAS_ACTIVE, instance.is_active)
    if created or (update_fields is not None and "is_active" not in update_fields):
        return
    # Unknown (None: the field was deferred when loaded) counts as "was active": ending the
    # access of an already disabled account again costs two queries and changes nothing.
    if not instance.is_active and was_active is not False:
        user_access_end(user=instance)
