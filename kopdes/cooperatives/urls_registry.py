"""URLs of the registry pages (see urls.py)."""

urlpatterns: list = []
