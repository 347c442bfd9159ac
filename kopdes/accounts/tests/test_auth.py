from __future__ import annotations

import pytest
from django.urls import reverse

from kopdes.accounts.tests.factories import PASSWORD, person
from kopdes.core.models import AuditEvent

LOGIN = "/masuk/"


@pytest.fixture
def ani(regions):
    return person(phone="+6281234567890", email="ani@example.id", full_name="Ani")


@pytest.mark.parametrize(
    "typed",
    ["081234567890", "0812-3456-7890", "+62 812 3456 7890", "6281234567890", "ANI@example.id "],
)
def test_a_person_logs_in_with_a_phone_number_in_any_common_form_or_an_email(client, ani, typed):
    response = client.post(LOGIN, {"username": typed, "password": PASSWORD})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(ani.pk)
    assert AuditEvent.objects.filter(action="auth.login", actor=ani).count() == 1


def test_a_wrong_password_is_refused_with_a_clear_message_and_recorded(client, ani):
    response = client.post(LOGIN, {"username": "081234567890", "password": "wrong-password"})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert "password" in response.content.decode().lower() or "sandi" in response.content.decode().lower()
    failed = AuditEvent.objects.get(action="auth.login_failed")
    assert failed.object_repr == "+6281234567890"


def test_failed_logins_are_throttled_per_account_and_address(client, ani):
    for _ in range(5):
        client.post(LOGIN, {"username": "081234567890", "password": "wrong"}, REMOTE_ADDR="10.0.0.1")

    # Even the right password is refused now, from that address, in any spelling of the number.
    locked = client.post(LOGIN, {"username": "+6281234567890", "password": PASSWORD}, REMOTE_ADDR="10.0.0.1")
    other_address = client.post(
        LOGIN, {"username": "081234567890", "password": PASSWORD}, REMOTE_ADDR="10.0.0.2"
    )

    assert locked.status_code == 429
    assert AuditEvent.objects.filter(action="auth.locked_out").exists()
    assert other_address.status_code == 302


def test_a_suspended_account_cannot_log_in(client, ani):
    ani.is_active = False
    ani.save()

    response = client.post(LOGIN, {"username": "081234567890", "password": PASSWORD})

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_logout_is_a_post_and_is_recorded(client, ani):
    client.force_login(ani)

    assert client.get("/keluar/").status_code == 405
    response = client.post("/keluar/")

    assert response.status_code == 302
    assert AuditEvent.objects.filter(action="auth.logout", actor=ani).exists()


def test_registration_logs_the_new_buyer_in(client, regions):
    response = client.post(
        reverse("accounts:register"),
        {"full_name": "Budi", "phone": "0813 1111 2222", "email": "", "password": PASSWORD},
    )

    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200


def test_registration_with_a_bad_phone_shows_the_error_on_the_field(client, regions):
    response = client.post(
        reverse("accounts:register"), {"full_name": "Budi", "phone": "12-34", "password": PASSWORD}
    )

    assert response.status_code == 200
    assert "0812-3456-7890" in response.content.decode()  # the example in the message
