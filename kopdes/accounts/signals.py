"""Every login, logout and failed login goes into the audit trail."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from kopdes.core.audit import audit_record

from .backends import axes_username


@receiver(user_logged_in)
def record_login(sender, request, user, **kwargs):
    audit_record(actor=user, action="auth.login", obj=user)


@receiver(user_logged_out)
def record_logout(sender, request, user, **kwargs):
    if user is not None:
        audit_record(actor=user, action="auth.logout", obj=user)


@receiver(user_login_failed)
def record_login_failure(sender, credentials, request=None, **kwargs):
    audit_record(
        actor=None,
        action="auth.login_failed",
        object_type="accounts.user",
        object_repr=axes_username(request, credentials)[:200],
    )
