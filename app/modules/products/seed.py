"""Demo data of the catalogue for `run.py demo`: 办公设备 and 家具 with their sub-categories and
parameters, about thirty products on sale with parameters and simple generated images, and the
price lists 经销价 and 零售价 (the inventory demo then stocks these products)."""
from __future__ import annotations

import io
import logging
import random
from decimal import Decimal

from sqlalchemy import func, select

from app.extensions import db
from app.modules.products.models import (CategoryParameter, PriceList, PriceListItem, Product, ProductCategory)

log = logging.getLogger(__name__)

# code, name, parent code, [(parameter, kind, unit, choices, required, key)]
CATEGORIES = [
    ("100", "办公设备", None, [("品牌系列", "text", None, None, False, False)]),
    ("101", "打印机", "100", [("打印方式", "choice", None, ["激光", "喷墨"], True, True),
                            ("打印速度", "number", "页/分钟", None, False, True),
                            ("颜色", "choice", None, ["黑白", "彩色"], True, True)]),
    ("102", "复印机", "100", [("复印速度", "number", "页/分钟", None, False, True),
                            ("最大幅面", "choice", None, ["A4", "A3"], True, True)]),
    ("103", "投影仪", "100", [("亮度", "number", "流明", None, True, True),
                            ("分辨率", "choice", None, ["1080P", "4K", "WXGA"], False, True),
                            ("功率", "number", "W", None, False, False)]),
    ("200", "家具", None, [("材质", "choice", None, ["实木", "钢制", "板材", "网布"], True, True)]),
    ("201", "办公椅", "200", [("座高", "number", "厘米", None, False, True),
                              ("扶手", "choice", None, ["固定", "可调", "无"], False, False)]),
    ("202", "办公桌", "200", [("宽度", "number", "厘米", None, True, True),
                              ("颜色", "choice", None, ["胡桃色", "白色", "灰色"], False, True)]),
]

BRANDS = {"101": ["惠普", "佳能", "兄弟", "奔图"], "102": ["理光", "柯尼卡美能达", "夏普"],
          "103": ["爱普生", "明基", "极米"], "201": ["震旦", "西昊", "永艺"], "202": ["震旦", "圣奥", "优比"]}


def _products(rng) -> list[tuple]:
    """(sku, name, category code, brand, model, unit, list price, cost, params)."""
    rows = []
    for i in range(8):
        kind, colour = rng.choice(["激光", "喷墨"]), rng.choice(["黑白", "彩色"])
        brand = rng.choice(BRANDS["101"])
        price = Decimal(rng.randrange(899, 6999, 100))
        rows.append((f"DY-{i + 1:03d}", f"{brand}{colour}{kind}打印机 {rng.choice('MPL')}{rng.randrange(100, 999)}",
                     "101", brand, f"P{rng.randrange(1000, 9999)}", "台", price, (price * Decimal("0.62")).quantize(Decimal("1")),
                     {"打印方式": kind, "颜色": colour, "打印速度": str(rng.choice([18, 22, 28, 33, 40]))}))
    for i in range(4):
        brand, size = rng.choice(BRANDS["102"]), rng.choice(["A4", "A3"])
        price = Decimal(rng.randrange(6999, 29999, 500))
        rows.append((f"FY-{i + 1:03d}", f"{brand}{size}数码复合机 MP{rng.randrange(2000, 6000)}", "102", brand,
                     f"MP{rng.randrange(2000, 6000)}", "台", price, (price * Decimal("0.7")).quantize(Decimal("1")),
                     {"复印速度": str(rng.choice([25, 30, 35, 45])), "最大幅面": size}))
    for i in range(6):
        brand, res = rng.choice(BRANDS["103"]), rng.choice(["1080P", "4K", "WXGA"])
        price = Decimal(rng.randrange(2999, 15999, 100))
        rows.append((f"TY-{i + 1:03d}", f"{brand}{res}商务投影仪", "103", brand, f"CB-{rng.randrange(100, 999)}",
                     "台", price, (price * Decimal("0.65")).quantize(Decimal("1")),
                     {"亮度": str(rng.choice([3300, 3600, 4000, 4500, 5000])), "分辨率": res,
                      "功率": str(rng.choice([220, 260, 300, 350]))}))
    for i in range(7):
        brand, material = rng.choice(BRANDS["201"]), rng.choice(["网布", "钢制", "实木"])
        price = Decimal(rng.randrange(399, 2999, 50))
        rows.append((f"BGY-{i + 1:03d}", f"{brand}{material}人体工学办公椅", "201", brand, f"Y{rng.randrange(10, 99)}",
                     "把", price, (price * Decimal("0.55")).quantize(Decimal("1")),
                     {"材质": material, "座高": str(rng.choice([42, 45, 48, 50])), "扶手": rng.choice(["固定", "可调", "无"])}))
    for i in range(6):
        brand, material = rng.choice(BRANDS["202"]), rng.choice(["实木", "板材", "钢制"])
        width = rng.choice([120, 140, 160, 180])
        price = Decimal(rng.randrange(699, 4999, 50))
        rows.append((f"BGZ-{i + 1:03d}", f"{brand}{material}办公桌 {width}厘米", "202", brand, f"Z{rng.randrange(10, 99)}",
                     "张", price, (price * Decimal("0.58")).quantize(Decimal("1")),
                     {"材质": material, "宽度": str(width), "颜色": rng.choice(["胡桃色", "白色", "灰色"])}))
    return rows


def _picture(rng, code: str) -> io.BytesIO:
    """A simple product picture: a coloured box with a darker front, on white."""
    from PIL import Image, ImageDraw

    hue = {"101": (60, 90, 140), "102": (90, 90, 100), "103": (40, 120, 160),
           "201": (50, 50, 55), "202": (150, 110, 70)}.get(code, (120, 120, 120))
    base = tuple(max(0, min(255, c + rng.randrange(-30, 30))) for c in hue)
    image = Image.new("RGB", (480, 480), (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((80, 150, 400, 380), radius=24, fill=base)
    draw.rectangle((120, 120, 360, 170), fill=tuple(min(255, c + 50) for c in base))
    draw.rectangle((130, 300, 350, 330), fill=tuple(max(0, c - 40) for c in base))
    draw.ellipse((330, 190, 360, 220), fill=(90, 200, 120))
    out = io.BytesIO()
    image.save(out, "PNG")
    out.seek(0)
    return out


def load_demo(admin, staff: dict, seed: int = 2026) -> str:
    if db.session.scalar(select(func.count()).select_from(ProductCategory).where(ProductCategory.code == "100")):
        return "0 catalogue products"
    rng = random.Random(seed)
    categories = {}
    for order, (code, name, parent, parameters) in enumerate(CATEGORIES):
        category = ProductCategory(code=code, name=name, parent_id=categories[parent].id if parent else None,
                                   sort_order=order)
        db.session.add(category)
        db.session.flush()
        categories[code] = category
        for position, (pname, kind, unit, choices, required, key) in enumerate(parameters):
            db.session.add(CategoryParameter(category_id=category.id, name=pname, kind=kind, unit=unit,
                                             choices=choices, required=required, key=key, sort_order=position))
    dealer, retail = PriceList(name="经销价", notes="经销商进货价"), PriceList(name="零售价", notes="门店零售价")
    db.session.add_all([dealer, retail])
    db.session.flush()
    products = []
    for sku, name, code, brand, model, unit, price, cost, params in _products(rng):
        if db.session.scalar(select(Product.id).where(Product.sku == sku)):
            continue
        product = Product(sku=sku, name=name, category_id=categories[code].id, brand=brand, model=model, unit=unit,
                          tax_rate=Decimal("13"), list_price=price, cost=cost, status="on_sale", params=params,
                          barcode=f"69{rng.randrange(10**10, 10**11)}")
        db.session.add(product)
        db.session.flush()
        db.session.add_all([
            PriceListItem(price_list_id=dealer.id, product_id=product.id, price=(price * Decimal("0.85")).quantize(Decimal("0.01"))),
            PriceListItem(price_list_id=retail.id, product_id=product.id, price=(price * Decimal("1.05")).quantize(Decimal("1"))),
        ])
        products.append((product.id, code))
    db.session.commit()
    pictures = 0
    try:
        from app.modules.products.images import add_images

        for product_id, code in products:
            add_images(admin, product_id, [(f"{code.lower()}-{product_id}-1.png", _picture(rng, code)),
                                           (f"{code.lower()}-{product_id}-2.png", _picture(rng, code))])
            pictures += 2
    except Exception as exc:   # pictures are decoration: the catalogue stands without them
        db.session.rollback()
        log.warning("demo product pictures skipped: %s", exc)
    return f"{len(products)} catalogue products, {len(CATEGORIES)} categories, 2 price lists, {pictures} pictures"
