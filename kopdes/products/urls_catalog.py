"""URLs of the catalog pages."""

urlpatterns: list = []
