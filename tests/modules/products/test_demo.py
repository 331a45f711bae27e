"""The demo catalogue: categories with parameters, products on sale whose parameters pass the rules,
two price lists, pictures with a main one; a second run adds nothing."""
from sqlalchemy import func, select

from app.extensions import db
from app.modules.products import images, seed, service
from app.modules.products.models import PriceList, Product, ProductCategory


def test_the_demo_catalogue_is_complete_and_valid(org):
    summary = seed.load_demo(org.admin, {})
    assert summary.startswith("31 catalogue products"), summary
    codes = [c for c, *_rest in seed.CATEGORIES]
    categories = db.session.scalars(select(ProductCategory).where(ProductCategory.code.in_(codes))).all()
    products = db.session.scalars(select(Product).where(Product.category_id.in_([c.id for c in categories]))).all()
    assert len(products) == 31 and {p.status for p in products} == {"on_sale"}
    for product in products:
        assert service.clean_parameters(product.category_id, product.params) == product.params
    assert {"经销价", "零售价"} <= set(db.session.scalars(select(PriceList.name)))
    first = products[0]
    gallery = images.product_images(org.admin, first.id)
    assert len(gallery) == 2 and first.main_image_id == gallery[0].id
    assert seed.load_demo(org.admin, {}) == "0 catalogue products"
