from __future__ import annotations

from django.contrib.auth.backends import ModelBackend

from .identifiers import login_key
from .models import User


class PhoneOrEmailBackend(ModelBackend):
    """Authenticates with a phone number (any common form) or an email, and a password."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        key = login_key(username or kwargs.get("phone") or kwargs.get("email") or "")
        user = None
        if key:
            field = "email" if "@" in key else "phone"
            user = User.objects.filter(**{field: key}).first()
        if user is None:
            # Hash anyway, so an unknown account takes as long as a wrong password.
            User().set_password(password)
            return None
        if user.check_password(password) and self.user_can_authenticate(user):
            return user
        return None

    def get_user(self, user_id):
        user = User.objects.filter(pk=user_id).first()
        return user if self.user_can_authenticate(user) else None


def axes_username(request, credentials) -> str:
    """The account key django-axes throttles on: '0812…' and '+62812…' count as one account."""
    raw = (credentials or {}).get("username", "") if credentials else ""
    if not raw and request is not None:
        raw = request.POST.get("username", "")
    return login_key(raw) or (raw or "").strip().lower()
