"""虚拟展示: a product's 360° image sequence — uploaded whole (24–72 images, in file-name order),
refused whole, served only to people who may read products."""
import io

import pytest
from PIL import Image

from app.core.files.models import Attachment
from app.extensions import db
from app.modules.products import service, showcase
from app.modules.products.models import Product
from tests.conftest import unique
from tests.factories import make_user


def _png(shade: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 6), (shade, 100, 200)).save(out, "PNG")
    return out.getvalue()


FRAMES = [_png(i * 3) for i in range(72)]


def _files(count, names=None, bad=None):
    names = names or [f"frame{i + 1}.png" for i in range(count)]
    return {"frames": [(io.BytesIO(b"not an image at all" if i == bad else FRAMES[i]), names[i]) for i in range(count)]}


def _stored(product_id):
    return db.session.query(Attachment).filter_by(spec="products", record_id=product_id, deleted=False).all()


@pytest.fixture
def product(ctx):
    return service.create_product(None, Product(sku=unique("SKU"), name=unique("冰箱")))


def test_a_sequence_is_stored_in_file_name_order_and_replaced_whole(app, product, login):
    client = login(make_user("Purchasing"))
    names = [f"f{i}.png" for i in range(24, 0, -1)]          # f24 … f1: natural order puts f1 first, f10 after f9
    resp = client.post(f"/products/spin360/{product.id}/frames", data=_files(24, names), content_type="multipart/form-data")
    assert resp.status_code == 200, resp.get_json()
    db.session.expire_all()
    stored = sorted(_stored(product.id), key=lambda a: a.file_name)
    assert [a.file_name for a in stored][:3] == ["360-001-f1.png", "360-002-f2.png", "360-003-f3.png"]
    assert stored[9].file_name == "360-010-f10.png"
    resp = client.post(f"/products/spin360/{product.id}/frames", data=_files(30), content_type="multipart/form-data")
    assert resp.status_code == 200 and resp.get_json()["count"] == 30
    db.session.expire_all()
    assert len(_stored(product.id)) == 30
    page = client.get(f"/products/spin360/{product.id}/")
    assert page.status_code == 200 and page.get_data(as_text=True).count("/attachments/") >= 1
    assert 'data-frames=' in page.get_data(as_text=True) and "/static/js/spin360.js" in page.get_data(as_text=True)


@pytest.mark.parametrize("count,bad,message", [(23, None, "需要 24 至 72 张图片"), (73, None, "需要 24 至 72 张图片"),
                                               (24, 5, "不是图片")])
def test_a_wrong_count_or_a_non_image_is_refused_and_nothing_is_stored(app, product, login, count, bad, message):
    client = login(make_user("Purchasing"))
    names = [f"frame{i + 1}.png" for i in range(count)] if count <= 72 else None
    data = _files(min(count, 72), names, bad) if count <= 72 else \
        {"frames": [(io.BytesIO(FRAMES[i % 72]), f"f{i}.png") for i in range(count)]}
    resp = client.post(f"/products/spin360/{product.id}/frames", data=data, content_type="multipart/form-data")
    assert resp.status_code == 400 and message in resp.get_json()["message"]
    db.session.expire_all()
    assert _stored(product.id) == []


def test_readers_may_not_upload_and_outsiders_may_not_see_frames(app, product, login):
    writer = login(make_user("Purchasing"))
    assert writer.post(f"/products/spin360/{product.id}/frames", data=_files(24),
                       content_type="multipart/form-data").status_code == 200
    db.session.expire_all()
    frame = sorted(_stored(product.id), key=lambda a: a.file_name)[0]
    sales = login(make_user("Sales"))
    resp = sales.post(f"/products/spin360/{product.id}/frames", data=_files(24), content_type="multipart/form-data")
    assert resp.status_code == 403
    db.session.expire_all()
    assert len(_stored(product.id)) == 24
    assert sales.get(f"/attachments/{frame.id}/download?inline=1").status_code == 200
    sm = app.appbuilder.sm
    sm.find_role("NoProducts") or sm.add_role("NoProducts")
    outsider = login(make_user("NoProducts"))
    assert outsider.get(f"/attachments/{frame.id}/download?inline=1").status_code in (403, 404)
    assert outsider.get(f"/products/spin360/{product.id}/").status_code == 403


def test_unknown_product_is_404(app, ctx, login):
    client = login(make_user("Purchasing"))
    assert client.get("/products/spin360/999999999/").status_code == 404
    assert client.post("/products/spin360/999999999/frames", data=_files(24),
                       content_type="multipart/form-data").status_code == 404



def test_the_product_page_has_the_360_tab(app, product, login):
    writer = login(make_user("Purchasing"))
    assert writer.post(f"/products/spin360/{product.id}/frames", data=_files(24),
                       content_type="multipart/form-data").status_code == 200
    sales = login(make_user("Sales"))
    assert 'data-zwt-tab="spin360"' in sales.get(f"/products/show/{product.id}").get_data(as_text=True)
    html = sales.get(f"/products/show/{product.id}?tab=spin360").get_data(as_text=True)
    assert "360° 展示" in html and 'class="zwt-spin"' in html and "/static/js/spin360.js" in html
    assert "zwt-spin-upload" not in html            # a reader sees the view, not the upload form
    buyer_html = writer.get(f"/products/show/{product.id}?tab=spin360").get_data(as_text=True)
    assert "zwt-spin-upload" in buyer_html
