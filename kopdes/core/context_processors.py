from .nav import items_for


def shell(request):
    """What every page's frame needs: the navigation for this user's roles."""
    user = getattr(request, "user", None)
    return {"nav_items": items_for(user)}
