"""Logging in and the cascading region picker, in a real chromium on a 360-px phone screen."""

from __future__ import annotations

import pytest
from django.utils import translation

from kopdes.accounts.forms import LoginForm
from kopdes.accounts.models import User
from kopdes.accounts.services import role_grant, user_register
from kopdes.core.tests.browser import horizontal_overflow, load_measured, log_in, screenshot

pytestmark = pytest.mark.browser

PASSWORD = "a-Strong-pass-2026"
ADMIN_PHONE = "+6281100000001"
ANI_EMAIL = "ani.suryani@contoh.co.id"
HOME_BUDGET = 100 * 1024


@pytest.fixture
def ani(db):
    return user_register(phone="081234567890", full_name="Ani", password=PASSWORD, email=ANI_EMAIL)


@pytest.fixture
def national_admin(regions):
    admin = User.objects.create_user(phone=ADMIN_PHONE, password=PASSWORD, full_name="Admin Nasional")
    role_grant(actor=None, user=admin, role="admin_national")
    return admin


def _text(message, language: str) -> str:
    with translation.override(language):
        return str(message)


# --- Logging in ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "0812-3456-7890",
        "+62 812-3456-7890",
        ANI_EMAIL,
    ],
)
def test_login_with_the_phone_number_in_another_form_on_a_phone(
    phone_page, live_server, route_guard, ani, typed
):
    page = phone_page
    page.goto("/masuk/")
    assert horizontal_overflow(page) <= 0
    screenshot(page, "login")

    log_in(page, typed, PASSWORD)

    assert page.url == f"{live_server.url}/"
    main = page.locator("main")
    assert main.locator('a[href="/akun/"]').is_visible()  # the "My account" card, for members only
    assert main.locator('a[href="/masuk/"]').count() == 0
    page.locator("details.menu summary").tap()
    menu = page.locator("details.menu nav")
    assert menu.locator('a[href="/akun/"]').is_visible()
    assert menu.locator('form[action="/keluar/"] button').is_visible()
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 360
    screenshot(page, "home-menu")

    with page.expect_navigation():
        menu.locator('a[href="/akun/"]').tap()
    assert page.url == f"{live_server.url}/akun/"  # not bounced to the login page
    assert page.locator("main h1").inner_text() == "Ani"
    assert horizontal_overflow(page) <= 0
    route_guard.assert_only_live_server()


def test_a_wrong_password_shows_the_error_and_stays_on_the_login_page(
    phone_page, live_server, route_guard, ani
):
    page = phone_page

    log_in(page, "0812 3456 7890", "wrong-password-2026")

    assert page.url == f"{live_server.url}/masuk/"
    language = page.locator("html").get_attribute("lang")
    assert language == "id"  # the phone asks for Indonesian
    alert = page.locator("main form .notice[role=alert]")
    assert alert.inner_text().strip() == _text(LoginForm.error_messages["invalid_login"], language)
    assert page.locator("input[name=username]").input_value() == "0812 3456 7890"
    assert page.locator("input[name=password]").input_value() == ""
    assert page.locator('main a[href="/akun/"]').count() == 0
    assert horizontal_overflow(page) <= 0
    screenshot(page, "login-error")
    route_guard.assert_only_live_server()


def test_the_home_page_is_light_and_served_from_the_live_server_only(phone_page, route_guard):
    transfer = load_measured(phone_page, "/")

    assert phone_page.locator("link[rel=stylesheet]").count() == 1
    files = {url.rsplit("/", 1)[-1] for url, *_ in transfer.entries}
    assert files >= {"", "kopdes.css", "htmx-2.min.js"}
    assert transfer.decoded_bytes < HOME_BUDGET, transfer.describe()
    assert transfer.wire_bytes < HOME_BUDGET, transfer.describe()
    assert horizontal_overflow(phone_page) <= 0
    screenshot(phone_page, "home")
    route_guard.assert_only_live_server()


def test_the_route_guard_blocks_and_records_other_hosts(phone_page, route_guard):
    phone_page.goto("/masuk/")

    failed = phone_page.evaluate(
        "() => fetch('http://cdn.example.invalid/x.js').then(() => false, () => true)"
    )

    assert failed is True
    assert route_guard.outside() == ["http://cdn.example.invalid/x.js"]
    route_guard.blocked.clear()
    route_guard.requested.clear()


# --- The cascading region picker -----------------------------------------------------------------


def _pick(page, level: int, *, value: str | None = None, label: str | None = None) -> None:
    """Choose in select `level` and wait until htmx has swapped in and activated the new picker."""
    page.evaluate(
        """() => {
            window.__pickerSettled = false;
            const settled = () => { window.__pickerSettled = true; };
            document.body.addEventListener('htmx:afterSettle', settled, {once: true});
        }"""
    )
    option = {"value": value} if value is not None else {"label": label}
    page.locator(f"#id_region__{level}").select_option(**option)
    page.wait_for_function("() => window.__pickerSettled === true")


def _chain(page) -> list[str]:
    return [
        page.locator(f"#id_region__{level}").input_value()
        for level in range(1, 5)
        if page.locator(f"#id_region__{level}").count()
    ]


def _pick_down_to_a_village(page) -> list[str]:
    assert page.locator("#id_region__2").count() == 0
    _pick(page, 1, label="Nusa Tenggara Timur")
    page.locator("#id_region__2").wait_for(state="visible")
    assert page.locator("#id_region__3").count() == 0
    _pick(page, 2, label="Kabupaten Sikka")
    page.locator("#id_region__3").wait_for(state="visible")
    assert page.locator("#id_region__4").count() == 0
    _pick(page, 3, label="Alok")
    page.locator("#id_region__4").wait_for(state="visible")
    _pick(page, 4, label="Kota Uneng")
    return _chain(page)


def _open_new_account_form(page) -> None:
    response = page.goto("/pengguna/baru/")
    assert response.status == 200, f"/pengguna/baru/ answered {response.status}"


def test_an_admin_creates_an_account_in_a_village_chosen_with_the_picker(
    phone_page, live_server, route_guard, national_admin
):
    page = phone_page
    log_in(page, "0811-0000-0001", PASSWORD)
    _open_new_account_form(page)
    assert page.locator("select[name^=region__]").count() == 1

    chain = _pick_down_to_a_village(page)

    province, regency, district, village = chain
    assert (province, regency) == ("53", "53.07")
    assert district.startswith(regency + ".") and village.startswith(district + ".")
    assert district == "53.07.05" and village == "53.07.05.1009"
    assert page.locator("#id_region__4 option:checked").inner_text() == "Kota Uneng"
    assert horizontal_overflow(page) <= 0
    screenshot(page, "picker")

    page.locator("input[name=full_name]").fill("Maria Goreti")
    page.locator("input[name=phone]").fill("0813-3900-1234")
    with page.expect_navigation():
        page.locator("main form button[type=submit]").tap()

    created = User.objects.get(phone="+6281339001234")
    assert page.url == f"{live_server.url}{created.get_absolute_url()}"
    assert created.full_name == "Maria Goreti"
    assert created.region_id == village == "53.07.05.1009"
    assert not created.has_usable_password()
    route_guard.assert_only_live_server()


def test_changing_the_province_resets_the_lower_levels(phone_page, route_guard, national_admin):
    page = phone_page
    log_in(page, ADMIN_PHONE, PASSWORD)
    _open_new_account_form(page)
    assert len(_pick_down_to_a_village(page)) == 4

    _pick(page, 1, value="64")

    assert _chain(page) == ["64", ""]
    regencies = page.locator("#id_region__2 option").evaluate_all("options => options.map(o => o.value)")
    assert regencies[0] == "" and "64.02" in regencies
    assert all(code.startswith("64.") for code in regencies[1:])

    _pick(page, 2, value="64.02")
    assert _chain(page) == ["64", "64.02", ""]
    _pick(page, 1, value="")
    assert _chain(page) == [""]
    route_guard.assert_only_live_server()
