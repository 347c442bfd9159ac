from kopdes.accounts.demo import demo_world_load
from kopdes.cooperatives.demo import demo_cooperatives_load
from kopdes.products.choices import ProductStatus
from kopdes.products.demo import demo_products_load
from kopdes.products.models import FeaturedProduct, Product


def test_the_demo_products_are_curated_licensed_and_one_is_featured_once(regions, product_defaults):
    demo_world_load()
    demo_cooperatives_load()

    first, _ = demo_products_load()
    second, _ = demo_products_load()

    statuses = sorted(Product.objects.values_list("status", flat=True))
    assert statuses == sorted([ProductStatus.CURATED, ProductStatus.READY, ProductStatus.DRAFT])
    assert FeaturedProduct.objects.count() == 1
    assert first.startswith("3 products") and second.startswith("0 products")
