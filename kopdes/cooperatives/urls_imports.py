"""URLs of the imports pages (see urls.py)."""

urlpatterns: list = []
