"""Demo customers with contacts: realistic Chinese company names, people, addresses, phones."""
from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from app.core.transaction import unit_of_work
from app.extensions import db
from app.modules.customers import grading, interactions, pool, service, tags
from app.modules.customers.models import INDUSTRY_CHOICES, SOURCE_CHOICES, Contact, Customer, Interaction, Tag

CITIES = [
    ("上海市", "上海", ["浦东新区张江路", "徐汇区漕溪北路", "闵行区莘庄工业区春中路"]),
    ("广东省", "深圳", ["南山区科技园科苑路", "福田区深南大道", "宝安区西乡街道"]),
    ("广东省", "广州", ["天河区体育西路", "番禺区市桥街道", "黄埔区科学城开源大道"]),
    ("浙江省", "杭州", ["西湖区文三路", "滨江区网商路", "余杭区文一西路"]),
    ("江苏省", "苏州", ["工业园区星湖街", "吴中区东吴北路", "高新区狮山路"]),
    ("北京市", "北京", ["海淀区中关村大街", "朝阳区建国路", "丰台区南四环西路"]),
    ("四川省", "成都", ["高新区天府大道", "武侯区人民南路", "锦江区春熙路"]),
    ("湖北省", "武汉", ["洪山区珞喻路", "江汉区建设大道", "东湖高新区光谷大道"]),
    ("山东省", "青岛", ["市南区香港中路", "崂山区株洲路", "黄岛区长江中路"]),
    ("福建省", "厦门", ["思明区湖滨南路", "湖里区火炬路", "集美区杏林湾路"]),
]
BRANDS = ["华信", "鼎盛", "恒达", "瑞丰", "博远", "天成", "金桥", "宏图", "新峰", "联创", "中和", "海川",
          "佳和", "长青", "正泰", "卓越", "汇通", "鸿运", "信诚", "永安", "启明", "德润", "广源", "嘉禾"]
TRADES = {
    "manufacturing": ["精密机械", "电子科技", "新材料", "汽车零部件"],
    "retail": ["商贸", "百货", "供应链"],
    "it": ["信息技术", "软件", "网络科技", "数据服务"],
    "construction": ["建设工程", "建筑装饰", "工程咨询"],
    "logistics": ["物流", "国际货运", "仓储服务"],
    "finance": ["投资管理", "融资租赁"],
    "education": ["教育科技", "职业培训"],
    "healthcare": ["医疗器械", "生物医药", "健康管理"],
    "food": ["食品", "餐饮管理", "农业发展"],
    "energy": ["新能源", "电力设备", "环保科技"],
    "services": ["企业管理咨询", "人力资源", "广告传媒"],
    "other": ["实业", "贸易"],
}
FAMILY = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗"
GIVEN = ["伟", "芳", "娜", "敏", "静", "磊", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀英", "建华",
         "志强", "晓东", "海燕", "丽华", "文博", "子轩", "雨涵", "浩然"]
TITLES = ["总经理", "采购经理", "财务总监", "行政主管", "技术负责人", "销售总监", "项目经理", "董事长助理"]


def company_name(rng: random.Random, industry: str) -> tuple[str, str, str]:
    province, city, streets = rng.choice(CITIES)
    suffix = rng.choice(["有限公司", "有限公司", "股份有限公司"])
    name = f"{city}{rng.choice(BRANDS)}{rng.choice(TRADES[industry])}{suffix}"
    address = f"{province if province != city + '市' else ''}{city}市{rng.choice(streets)}{rng.randint(1, 999)}号"
    return name, province, address


def person_name(rng: random.Random) -> str:
    return rng.choice(FAMILY) + rng.choice(GIVEN)


def mobile(rng: random.Random) -> str:
    return rng.choice(["138", "139", "136", "150", "158", "186", "188", "177", "199"]) + f"{rng.randint(0, 99_999_999):08d}"


DEMO_TAGS = [("重点客户", "danger"), ("VIP", "warning"), ("潜力大", "success"), ("政府项目", "info"),
             ("老客户", "primary"), ("需回访", "default")]
# (kind, subject, content, outcome)
DEMO_INTERACTIONS = [
    ("call", "电话沟通采购需求", "客户计划下季度扩充产线，询问批量采购的价格和交期。", "interested"),
    ("call", "回访使用情况", "客户反馈设备运行稳定，提出希望增加培训。", "reached"),
    ("call", "催问报价反馈", "对方采购经理出差，约定下周再联系。", "no_answer"),
    ("visit", "上门拜访", "拜访总经理和技术负责人，参观车间，了解现有供应商情况。", "interested"),
    ("visit", "现场演示", "带样品到现场演示，客户技术部认可性能，等待内部评审。", "quoted"),
    ("meeting", "商务谈判", "就年度框架协议的价格、账期（60天）和售后条款进行谈判。", "quoted"),
    ("meeting", "项目启动会", "双方确认项目范围、里程碑和对接人。", "won"),
    ("note", "客户背景", "客户为当地龙头企业，今年预算收紧，决策周期较长。", None),
    ("email", "发送产品资料", "已发送产品手册、报价单和成功案例。", "reached"),
    ("call", "确认付款进度", "财务表示月底前安排付款。", "reached"),
    ("call", "客户暂无需求", "客户表示今年不考虑更换供应商。", "not_interested"),
]


def _demo_interactions(rng: random.Random, customer: Customer, owner, now: dt.datetime) -> None:
    """A few months of calls, visits and meetings, the newest last, with a next follow-up."""
    count = rng.choices([0, 2, 4, 7, 12], [2, 4, 4, 3, 1])[0]
    age = max((now - customer.created_at).days, 1)
    days_ago = sorted((rng.randint(0, age) for _ in range(count)), reverse=True)
    contacts = list(customer.contacts)
    with unit_of_work(owner):
        for n, ago in enumerate(days_ago):
            kind, subject, content, outcome = rng.choice(DEMO_INTERACTIONS)
            at = now - dt.timedelta(days=ago, hours=rng.randint(0, 8), minutes=rng.randint(0, 59))
            last = n == len(days_ago) - 1
            follow = (service.local_date(at) + dt.timedelta(days=rng.choice([-5, 2, 3, 7, 14, 30]))
                      if last and rng.random() < 0.7 else None)
            if follow is not None and follow < service.local_date(at):
                follow = service.local_date(at)
            interactions.log_interaction(owner, Interaction(
                customer_id=customer.id, contact_id=rng.choice(contacts).id if contacts and kind != "note" else None,
                kind=kind, subject=subject, content=content, outcome=outcome, occurred_at=at,
                duration_minutes=rng.choice([5, 10, 15, 30, 60, 90]) if kind in ("call", "visit", "meeting") else None,
                next_follow_up_on=follow))


def load_demo(admin, staff: dict, seed: int = 2026, count: int = 160) -> str:
    rng = random.Random(seed)
    sales = [staff[u] for u in ("lina", "wangfang", "zhaoqiang", "zhangwei", "zhoumin") if u in staff]
    now = dt.datetime.utcnow()
    made = 0
    used_names: set[str] = set()
    while made < count:
        industry = rng.choice([c for c, _ in INDUSTRY_CHOICES])
        name, province, address = company_name(rng, industry)
        if name in used_names:
            continue
        used_names.add(name)
        owner = rng.choice(sales)
        customer = Customer(
            name=name, kind="company", industry=industry, region=province, address=address,
            phone=f"0{rng.randint(10, 999)}-{rng.randint(2_000_000, 89_999_999)}" if rng.random() < 0.6 else None,
            source=rng.choice([c for c, _ in SOURCE_CHOICES]),
            status=rng.choices(["potential", "active", "dormant", "lost"], [4, 6, 2, 1])[0],
            credit_limit=Decimal(rng.choice([0, 50_000, 100_000, 200_000, 500_000, 1_000_000])),
            owner_id=owner.id, department_id=owner.department_id,
            created_at=now - dt.timedelta(days=rng.randint(0, 540), minutes=rng.randint(0, 1440)),
        )
        if rng.random() < 0.5:  # many worked with us long before they were entered here
            customer.cooperating_since = (customer.created_at - dt.timedelta(days=rng.randint(30, 2500))).date()
        service.create_customer(owner, customer)
        for n in range(rng.randint(1, 3)):
            service.create_contact(owner, Contact(
                customer_id=customer.id, name=person_name(rng), title=rng.choice(TITLES),
                phone=mobile(rng), email=f"contact{customer.id}_{n}@example.cn", is_primary=(n == 0)))
        made += 1
    made_tags = [tags.create_tag(admin, Tag(name=name, colour=colour)) for name, colour in DEMO_TAGS]
    customers = list(db.session.scalars(db.select(Customer).order_by(Customer.id)))
    for customer in customers:
        chosen = rng.sample(made_tags, rng.choice([0, 0, 1, 1, 2, 3]))
        if chosen:
            tags.tag_customers(admin, [customer.id], [t.id for t in chosen])
        # What collections will feed: spend of the last 12 months, and the order totals.
        paid = Decimal(rng.choice([0, 0, 20_000, 80_000, 150_000, 400_000, 900_000, 1_500_000, 3_000_000]))
        ordered = paid * Decimal(rng.choice(["1.0", "1.2", "1.5"]))
        grading.record_amounts(admin, customer.id, paid_12m=paid, total_ordered=ordered, total_paid=paid,
                               total_outstanding=ordered - paid)
        _demo_interactions(rng, customer, customer.owner, now)
    graded = grading.regrade(admin)
    # Lost customers nobody has talked to for a while go back to the shared pool.
    inactive = list(db.session.scalars(db.select(Customer).where(pool.inactive_clause(), Customer.status == "lost")
                                       .order_by(Customer.id).limit(8)))
    for customer in inactive:
        pool.release_to_pool(customer.owner, [customer])
    return (f"{made} customers with contacts, {len(made_tags)} tags, "
            f"{db.session.scalar(db.select(db.func.count()).select_from(Interaction))} interactions, "
            f"{graded} grades, {len(inactive)} in the shared pool")
