"""Listings copy their product's catalog fields; when a product, its licences, photos or
featured months change, its listings follow in the same transaction."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver


def _refresh(product_id) -> None:
    from .services_stock import listings_refresh_for_product

    if product_id:
        listings_refresh_for_product(product_id=product_id)


@receiver(post_save, sender="products.Product", dispatch_uid="market.product_saved")
def product_saved(sender, instance, created, raw=False, **kwargs) -> None:
    if not created and not raw:
        _refresh(instance.pk)


@receiver(post_save, sender="products.Licence", dispatch_uid="market.licence_saved")
@receiver(post_delete, sender="products.Licence", dispatch_uid="market.licence_deleted")
@receiver(post_save, sender="products.FeaturedProduct", dispatch_uid="market.featured_saved")
@receiver(post_save, sender="products.ProductPhoto", dispatch_uid="market.photo_saved")
@receiver(post_delete, sender="products.ProductPhoto", dispatch_uid="market.photo_deleted")
def product_part_changed(sender, instance, raw=False, **kwargs) -> None:
    if not raw:
        _refresh(instance.product_id)
