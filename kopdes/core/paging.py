from django.conf import settings
from django.core.paginator import Paginator


def paginate(request, queryset, per_page: int | None = None):
    """A page of `queryset` for the `page` query parameter; bad numbers fall back to a valid page."""
    paginator = Paginator(queryset, per_page or settings.KOPDES_PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))
