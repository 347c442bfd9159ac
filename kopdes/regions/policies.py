from kopdes.core.policies import rule


@rule("regions.view")
def may_view_regions(user, region) -> bool:
    # The region tree is public data (Kepmendagri decree): anyone may browse it.
    return True
