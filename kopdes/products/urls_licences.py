"""URLs of the licences pages."""

urlpatterns: list = []
