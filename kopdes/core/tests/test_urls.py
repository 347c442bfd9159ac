"""The URLconf's order: Django tries patterns in order, and the storefront's are put before the
other areas' (config/urls.py). That is safe only while no pattern takes another's paths."""

import re

from django.urls import URLPattern, URLResolver, get_resolver, resolve

SAMPLES = {"str": "abc", "slug": "abc-1", "int": "7", "path": "a/b"}


def _routes(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern, route)
        else:
            assert isinstance(pattern, URLPattern)
            yield route, pattern


def _sample(route: str) -> str | None:
    """A path the route matches: each converter replaced by a value of its kind."""
    if route.startswith("^") or "(?" in route:  # a regex pattern: no sample to make
        return None
    return "/" + re.sub(r"<(?:(\w+):)?\w+>", lambda m: SAMPLES.get(m.group(1) or "str", "abc"), route)


def test_every_page_is_reached_by_its_own_paths():
    routes = [(route, pattern) for route, pattern in _routes(get_resolver()) if _sample(route)]
    assert len(routes) > 200  # every area's pages, the API's operations
    taken = []
    for route, pattern in routes:
        path = _sample(route)
        match = resolve(path)
        if match.route != route and match.func is not pattern.callback:
            taken.append(f"{path} ({route}) goes to {match.route}")
    assert taken == []


def test_the_storefront_is_resolved_before_the_other_areas():
    routes = [route for route, _pattern in _routes(get_resolver())]
    first_market = routes.index("pasar/")
    for area_page in ("masuk/", "koperasi/"):
        assert any(route.startswith(area_page) for route in routes[first_market:])
