"""The deterministic demo population: the seed's programmes and 3,000+ Xuchang teachers.

Everything is derived from a fixed random seed, so two runs build the same people;
existing rows are never overwritten, so running it twice changes nothing.
"""

import datetime
import json
import random
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from accounts.identity import id_check_char
from accounts.models import District, OrganisingUnit, Role, User

from .models import Enrolment, EnrolmentSource, Programme, Session

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_PASSWORD = "xuchang2021"

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚桂英华建国红玉兰晓东海燕雪梅志宏丹鹏飞辉俊峰亮琳颖倩婷慧佳欣怡雅鑫浩宇博文轩睿思源晨阳瑞丰"
SUBJECTS = [
    "语文",
    "数学",
    "英语",
    "物理",
    "化学",
    "生物",
    "道德与法治",
    "历史",
    "地理",
    "音乐",
    "体育",
    "美术",
    "信息技术",
    "科学",
    "心理健康",
]
TITLES = ["正高级教师", "高级教师", "一级教师", "一级教师", "二级教师", "二级教师", "三级教师"]

# District, region code used in ID numbers, share of teachers, named schools.
DISTRICTS = [
    (
        District.WEIDU,
        "411002",
        18,
        [
            "许昌市第一中学",
            "许昌市第二中学",
            "许昌市实验小学",
            "许昌市毓秀路小学",
            "魏都区实验学校",
            "许昌市第十一中学",
        ],
    ),
    (
        District.JIAN_AN,
        "411003",
        14,
        ["建安区第一高级中学", "建安区第三高级中学", "建安区实验小学", "建安区第二初级中学", "建安区灵井镇中心学校"],
    ),
    (
        District.YUZHOU,
        "411081",
        20,
        [
            "禹州市第一高级中学",
            "禹州市高级中学",
            "禹州市第二实验学校",
            "禹州市颍川办事处第一小学",
            "禹州市第三初级中学",
            "禹州市神垕镇第一初级中学",
        ],
    ),
    (
        District.CHANGGE,
        "411082",
        15,
        ["长葛市第一高级中学", "长葛市第三实验高中", "长葛市实验小学", "长葛市第二初级中学", "长葛市和尚桥镇中心校"],
    ),
    (
        District.YANLING,
        "411024",
        11,
        ["鄢陵县第一高级中学", "鄢陵县实验学校", "鄢陵县第二初级中学", "鄢陵县安陵镇中心小学"],
    ),
    (
        District.XIANGCHENG,
        "411025",
        12,
        ["襄城县高级中学", "襄城县实验高中", "襄城县实验小学", "襄城县第二初级中学", "襄城县库庄镇第一初级中学"],
    ),
    (District.ECONOMIC_ZONE, "411002", 3, ["许昌经济技术开发区实验学校", "许昌经济技术开发区长村张中心学校"]),
    (District.DONGCHENG, "411002", 4, ["许昌市东城区实验学校", "许昌市东城区紫云路小学"]),
    (District.DEMO_ZONE, "411003", 3, ["许昌市城乡一体化示范区实验学校", "许昌市城乡一体化示范区尚集镇中心学校"]),
]
TEACHER_COUNT = 3160
BUREAU_STAFF_COUNT = 60
AFFILIATED_HEADS = ["许昌高级中学", "许昌市第一中学", "许昌市实验小学", "许昌市特殊教育学校", "许昌职业技术学院附属中学",
                    "许昌市第三高级中学", "许昌市电子信息中等专业学校", "许昌市教育技术装备中心", "许昌市教育局教研室",
                    "许昌市青少年活动中心", "许昌市体育运动学校", "许昌市第二高级中学"]  # fmt: skip

# How many of the population each programme takes (all teachers do 师德专题教育).
PROGRAMME_SHARE = {
    "GP2021-01": 380,
    "SP2021-01": 700,
    "SHP2021-01": 2300,
    "ZM2021-0909": 250,
    "LG2021-01": 560,
    "XF2021-1204": 380,
}


def make_id_number(rng: random.Random, region: str, taken: set[str]) -> str:
    while True:
        birth = datetime.date(1966, 1, 1) + datetime.timedelta(days=rng.randrange(0, 365 * 33))
        first17 = f"{region}{birth:%Y%m%d}{rng.randrange(0, 1000):03d}"
        number = first17 + id_check_char(first17)
        if number not in taken:
            taken.add(number)
            return number


def make_mobile(rng: random.Random, taken: set[str]) -> str:
    while True:
        number = f"1{rng.choice('3456789')}{rng.randrange(0, 10**9):09d}"
        if number not in taken and not number.startswith("1390000"):
            taken.add(number)
            return number


def population() -> list[dict]:
    """The same list of teacher records on every call."""
    rng = random.Random(20210914)
    ids: set[str] = set()
    mobiles: set[str] = set()
    people = []
    weights = [share for _d, _r, share, _s in DISTRICTS]

    def person(district, region, school, title=None, subject=None):
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        return {
            "name": name,
            "id_number": make_id_number(rng, region, ids),
            "mobile": make_mobile(rng, mobiles),
            "school": school,
            "district": district,
            "subject": subject if subject is not None else rng.choice(SUBJECTS),
            "title": title or rng.choice(TITLES),
        }

    for _ in range(TEACHER_COUNT):
        district, region, _share, schools = rng.choices(DISTRICTS, weights=weights)[0]
        people.append(person(district, region, rng.choice(schools)))
    for _ in range(BUREAU_STAFF_COUNT):
        people.append(person(District.CITY, "411002", "许昌市教育局机关", title="机关工作人员", subject=""))
    for school in AFFILIATED_HEADS:
        people.append(person(District.CITY, "411002", school, title="单位负责人", subject=""))
    return people


def _aware(text: str) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.fromisoformat(text))


@transaction.atomic
def load_programmes() -> dict[str, Programme]:
    """Units, programmes and sessions from fixtures/programmes.json; existing codes are left alone."""
    data = json.loads((FIXTURES / "programmes.json").read_text(encoding="utf-8"))
    units = {}
    for unit in data["units"]:
        units[unit["name"]], _ = OrganisingUnit.objects.get_or_create(
            name=unit["name"], defaults={"short_name": unit["short_name"]}
        )
    programmes = {}
    for item in data["programmes"]:
        existing = Programme.objects.filter(code=item["code"]).first()
        if existing:
            programmes[item["code"]] = existing
            continue
        start = datetime.date.fromisoformat(item["start_date"])
        programme = Programme(
            code=item["code"], title=item["title"], level=item["level"], kind=item["kind"], unit=units[item["unit"]],
            year=start.year, start_date=start, end_date=datetime.date.fromisoformat(item["end_date"]),
            credit_hours=Decimal(item["credit_hours"]), capacity=item["capacity"],
            self_enrol_open=item["self_enrol_open"], audience=item["audience"], description=item["description"],
        )  # fmt: skip
        programme.full_clean()
        programme.save()
        for session in item["sessions"]:
            row = Session(
                programme=programme, title=session["title"], starts_at=_aware(session["starts_at"]),
                ends_at=_aware(session["ends_at"]), venue=session["venue"], lecturer=session["lecturer"],
                lecturer_title=session["lecturer_title"],
            )  # fmt: skip
            row.full_clean()
            row.save()
        programmes[item["code"]] = programme
    return programmes


def _demo_accounts(units: dict[str, OrganisingUnit]) -> dict[str, User]:
    password = make_password(DEMO_PASSWORD)
    specs = [
        (
            "organiser",
            {
                "name": "李组织（教师工作科）",
                "role": Role.ORGANISER,
                "unit": units["许昌市教育局教师工作科"],
                "is_staff": True,
            },
        ),
        (
            "organiser2",
            {
                "name": "赵组织（政策法规科）",
                "role": Role.ORGANISER,
                "unit": units["许昌市教育局政策法规科"],
                "is_staff": True,
            },
        ),
        ("bureau", {"name": "许昌市教育局（只读）", "role": Role.BUREAU, "is_staff": True}),
        ("admin", {"name": "系统管理员", "role": Role.BUREAU, "is_staff": True, "is_superuser": True}),
    ]
    accounts = {}
    for username, fields in specs:
        accounts[username], _ = User.objects.get_or_create(username=username, defaults={**fields, "password": password})
    first17 = "41100219850315002"
    accounts["teacher"], _ = User.objects.get_or_create(
        id_number=first17 + id_check_char(first17),
        defaults={"name": "张老师", "role": Role.TEACHER, "mobile": "13900000001", "school": "许昌市第一中学",
                      "district": District.WEIDU, "subject": "道德与法治", "title": "一级教师", "password": password},
    )  # fmt: skip
    first17 = "41102319900701004"
    accounts["newteacher"], _ = User.objects.get_or_create(
        id_number=first17 + id_check_char(first17),
        defaults={"name": "陈新老师", "role": Role.TEACHER, "mobile": "13900000002", "school": "建安区实验小学",
                      "district": District.JIAN_AN, "subject": "语文", "title": "二级教师", "password": make_password(None)},
    )  # fmt: skip
    return accounts


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Build (or complete) the demo data set. Returns counts of what exists afterwards."""
    programmes = load_programmes()
    units = {unit.name: unit for unit in OrganisingUnit.objects.all()}
    accounts = _demo_accounts(units)

    people = population()
    existing = set(
        User.objects.filter(id_number__in=[p["id_number"] for p in people]).values_list("id_number", flat=True)
    )
    taken_mobiles = set(User.objects.exclude(mobile=None).values_list("mobile", flat=True))
    unusable = make_password(None)  # one unusable marker; each teacher claims the account on first sign-in
    new_users = []
    for record in people:
        if record["id_number"] in existing:
            continue
        mobile = record["mobile"] if record["mobile"] not in taken_mobiles else None
        new_users.append(User(role=Role.TEACHER, password=unusable, **{**record, "mobile": mobile}))
    User.objects.bulk_create(new_users, batch_size=500)

    by_id = dict(User.objects.filter(id_number__in=[p["id_number"] for p in people]).values_list("id_number", "pk"))
    teacher_ids = [by_id[p["id_number"]] for p in people[:TEACHER_COUNT]]
    staff_ids = [by_id[p["id_number"]] for p in people[TEACHER_COUNT:]]
    rng = random.Random(2021)
    plan: dict[str, list[int]] = {"SD2021-01": teacher_ids, "FZ2021-0914": staff_ids}
    for code, count in PROGRAMME_SHARE.items():
        plan[code] = rng.sample(teacher_ids, count)
    demo_teacher = accounts["teacher"].pk
    for code in ("GP2021-01", "SHP2021-01", "SD2021-01", "SHP2026-01"):
        plan.setdefault(code, []).append(demo_teacher)
    plan["SD2021-01"] = plan["SD2021-01"] + [accounts["newteacher"].pk]

    enrolled_at = {
        code: timezone.make_aware(datetime.datetime.combine(p.start_date, datetime.time(8)))
        for code, p in programmes.items()
    }
    rows = [
        Enrolment(
            programme=programmes[code],
            teacher_id=teacher_id,
            source=EnrolmentSource.IMPORT,
            enrolled_at=enrolled_at[code],
        )
        for code, teacher_ids_for_code in plan.items()
        for teacher_id in teacher_ids_for_code
    ]
    Enrolment.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    return {
        "teachers": User.objects.filter(role=Role.TEACHER).count(),
        "programmes": Programme.objects.count(),
        "enrolments": Enrolment.objects.count(),
    }
