import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def _in_english(request):
    # These tests read the English messages; the interface defaults to Indonesian. Browser tests
    # keep the browser's own language (they drive the real pages).
    if request.node.get_closest_marker("browser"):
        yield
        return
    if "client" in request.fixturenames:
        request.getfixturevalue("client").defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    with translation.override("en"):
        yield
