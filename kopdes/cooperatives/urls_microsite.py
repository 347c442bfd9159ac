"""URLs of the microsite pages (see urls.py)."""

urlpatterns: list = []
