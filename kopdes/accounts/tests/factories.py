from __future__ import annotations

import factory

from kopdes.accounts.choices import OrgKind
from kopdes.accounts.models import Organization, User
from kopdes.accounts.services import role_grant
from kopdes.regions.models import Region

PASSWORD = "a-Strong-pass-2026"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    full_name = factory.Faker("name", locale="id_ID")
    phone = factory.Sequence(lambda n: f"+62812{n:08d}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @classmethod
    def _after_postgeneration(cls, instance, create, results=None):
        if create:
            instance.save()


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    kind = OrgKind.COOPERATIVE
    name = factory.Sequence(lambda n: f"Koperasi Desa Merah Putih Uji {n}")
    region = factory.LazyFunction(lambda: Region.objects.get(code="64.02.06.1001"))


def person(
    role: str | None = None,
    *,
    region: str | None = None,
    scope: str | None = None,
    org=None,
    **fields,
) -> User:
    """A user living in `region`, holding `role` scoped to region code `scope` or to `org`."""
    home = Region.objects.get(code=region) if region else None
    user = UserFactory(region=home, **fields)
    if role:
        role_grant(
            actor=None,
            user=user,
            role=role,
            region=Region.objects.get(code=scope) if scope else None,
            organization=org,
        )
    return user


def bearer(user) -> dict:
    """Request headers authenticating as `user` with a fresh API token."""
    from kopdes.accounts.services import token_create

    _, key = token_create(actor=user, name="test")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}
