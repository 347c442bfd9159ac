"""URLs of the curation pages."""

urlpatterns: list = []
