"""Demo suppliers for `run.py demo`: eight suppliers of office equipment and furniture in charge of 杨丽
(Purchasing), with contacts, licences (one expiring this month) and quotes for the demo catalogue's products, so
that 报价对比 has something to compare."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from sqlalchemy import func, select

from app.core.clock import company_today
from app.extensions import db
from app.modules.products.api import Product, ProductCategory
from app.modules.purchasing import service
from app.modules.purchasing.models import Supplier, SupplierCertificate, SupplierContact, SupplierQuote

# name, tax id, phone, address, bank, status, category codes
SUPPLIERS = [
    ("上海惠联办公设备有限公司", "91310101MA1FPX1A2B", "021-62581234", "上海市静安区江宁路168号", "招商银行上海静安支行",
     "qualified", ("101", "102")),
    ("北京中科影像科技有限公司", "91110108MA01C2D3E4", "010-82561234", "北京市海淀区中关村大街27号", "工商银行北京中关村支行",
     "qualified", ("103",)),
    ("广州佳印数码有限公司", "91440101MA5ABCDE6F", "020-38761234", "广州市天河区体育西路191号", "建设银行广州天河支行",
     "qualified", ("101",)),
    ("深圳视界投影设备有限公司", "91440300MA5GHIJK7L", "0755-86321234", "深圳市南山区科技园南区", "平安银行深圳南山支行",
     "trial", ("103",)),
    ("杭州永安办公家具有限公司", "91330106MA2MNOPQ8R", "0571-87651234", "杭州市西湖区文三路90号", "浙商银行杭州分行",
     "qualified", ("201", "202")),
    ("苏州圣业家具制造有限公司", "91320506MA1STUVW9X", "0512-65281234", "苏州市吴中区越溪工业园", "苏州银行吴中支行",
     "qualified", ("202",)),
    ("成都西南办公用品有限公司", "91510104MA6YZABC0D", "028-85431234", "成都市锦江区红星路三段1号", "成都银行锦江支行",
     "trial", ("101", "201")),
    ("天津华北复印设备有限公司", "91120102MA05EFGH1J", "022-23451234", "天津市河西区友谊路35号", "天津银行河西支行",
     "suspended", ("102",)),
]
CONTACTS = ["王建华", "李晓敏", "陈志强", "刘婷", "张国栋", "赵雪梅", "孙浩", "周丽娟"]


def load_demo(admin, staff: dict, seed: int = 2026) -> str:
    if db.session.scalar(select(func.count()).select_from(Supplier)):
        return "0 suppliers"
    buyer = staff.get("yangli") or admin
    if buyer is None:
        return "0 suppliers"
    rng = random.Random(seed)
    today = company_today()
    categories = {c.code: c for c in db.session.scalars(select(ProductCategory))}
    products = list(db.session.scalars(select(Product).order_by(Product.id)))
    made, quotes = [], 0
    for number, (name, tax_id, phone, address, bank, status, codes) in enumerate(SUPPLIERS):
        supplier = Supplier(name=name, tax_id=tax_id, phone=phone, address=address, bank_name=bank,
                            bank_account=f"6222 {rng.randrange(1000, 9999)} {rng.randrange(1000, 9999)} "
                                         f"{rng.randrange(1000, 9999)}",
                            status=status if status != "suspended" else "qualified", owner_id=buyer.id,
                            categories=[categories[c] for c in codes if c in categories])
        supplier = service.create_supplier(buyer, supplier)
        service.save_contact(buyer, SupplierContact(supplier_id=supplier.id, name=CONTACTS[number], title="销售经理",
                                                    phone=f"139{rng.randrange(10**7, 10**8)}"))
        expires = today + dt.timedelta(days=20 if number == 0 else rng.randrange(90, 900))
        service.save_certificate(buyer, SupplierCertificate(supplier_id=supplier.id, name="营业执照",
                                                            number=tax_id, expires_on=expires))
        if number % 2 == 0:
            service.save_certificate(buyer, SupplierCertificate(supplier_id=supplier.id, name="ISO 9001 质量管理体系认证",
                                                                number=f"CN{rng.randrange(10**6, 10**7)}",
                                                                expires_on=today + dt.timedelta(days=rng.randrange(200, 1000))))
        wanted = {categories[c].id for c in codes if c in categories}
        for product in products:
            if product.category_id not in wanted or product.cost is None:
                continue
            price = (Decimal(product.cost) * Decimal(rng.choice(["0.92", "0.96", "1.00", "1.04", "1.08"]))).quantize(
                Decimal("0.01"))
            service.save_quote(buyer, SupplierQuote(
                supplier_id=supplier.id, product_id=product.id, price=price, currency="CNY",
                min_quantity=Decimal(rng.choice([1, 1, 5, 10])), lead_days=rng.choice([3, 5, 7, 10, 15]),
                valid_from=today - dt.timedelta(days=rng.randrange(10, 60)),
                valid_to=today + dt.timedelta(days=rng.randrange(30, 180))))
            quotes += 1
        if status == "suspended":
            service.suspend(buyer, [supplier])
        made.append(supplier)
    return f"{len(made)} suppliers, {quotes} quotes"
