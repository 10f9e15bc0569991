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
from accounts.services import teacher_create, teachers_bulk_create

from .models import Enrolment, EnrolmentSource, Programme
from .services import enrolments_bulk_create, programme_create, session_create

FIXTURES = Path(settings.BASE_DIR) / "fixtures"
DEMO_PASSWORD = "xuchang2021"
ONLINE_KEYS = ("delivery", "material_title", "material_url")  # a 线上/自学 session's own fields

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


def _fixtures() -> dict:
    return json.loads((FIXTURES / "programmes.json").read_text(encoding="utf-8"))


def _units(data: dict) -> dict[str, OrganisingUnit]:
    units = {}
    for unit in data["units"]:
        units[unit["name"]], _ = OrganisingUnit.objects.get_or_create(
            name=unit["name"], defaults={"short_name": unit["short_name"]}
        )
    return units


def _programme_fields(item: dict, units: dict[str, OrganisingUnit]) -> dict:
    keys = ("code", "title", "level", "kind", "capacity", "self_enrol_open", "audience", "description")
    fields = {key: item[key] for key in keys}
    fields.update(unit=units[item["unit"]], credit_hours=Decimal(item["credit_hours"]))
    fields["allow_walk_in"] = item.get("allow_walk_in", False)
    return fields


def _create(actor: User, fields: dict, sessions: list[dict]) -> Programme:
    """A programme and its sessions through the services an organiser's page uses."""
    programme = programme_create(actor=actor, **fields)
    for session in sessions:
        session_create(actor=actor, programme=programme, **session)
    return programme


def current_specs(today: datetime.date) -> list[dict]:
    """This year's demo programmes laid around `today` (fixtures/programmes.json, "current"): one open
    for self-enrolment, one with a session today, one coming, one finished. Dates and codes resolved."""
    specs = []
    for item in _fixtures()["current"]:
        start = today + datetime.timedelta(days=item["start_day"])
        names = {"year": start.year, "mmdd": f"{today:%m%d}", "month": today.month, "day": today.day}
        sessions = []
        for session in item["sessions"]:
            first = today + datetime.timedelta(days=session["day"])
            last = today + datetime.timedelta(days=session["end_day"])
            sessions.append(
                {
                    "title": session["title"],
                    "venue": session["venue"],
                    "lecturer": session["lecturer"],
                    "lecturer_title": session["lecturer_title"],
                    "starts_at": _aware(f"{first.isoformat()}T{session['starts']}"),
                    "ends_at": _aware(f"{last.isoformat()}T{session['ends']}"),
                    "open_all_session": session.get("open_all_session", False),
                    **{key: session[key] for key in ONLINE_KEYS if key in session},
                }  # fmt: skip
            )
        specs.append(
            {
                **item,
                "code": item["code"].format(**names),
                "title": item["title"].format(**names),
                "start_date": start,
                "end_date": today + datetime.timedelta(days=item["end_day"]),
                "sessions": sessions,
            }  # fmt: skip
        )
    return specs


def current_programmes(today: datetime.date | None = None) -> dict[str, Programme]:
    """The demo's current programmes that exist, by their key (online, today, upcoming, finished)."""
    specs = current_specs(today or timezone.localdate())
    found = {p.code: p for p in Programme.objects.filter(code__in=[spec["code"] for spec in specs])}
    return {spec["key"]: found[spec["code"]] for spec in specs if spec["code"] in found}


@transaction.atomic
def load_programmes(*, actor: User) -> dict[str, Programme]:
    """Units, the seed's programmes and this year's demo programmes with their sessions, created through
    the services (as `actor`, a superuser); existing codes are left alone."""
    data = _fixtures()
    units = _units(data)
    existing = {p.code: p for p in Programme.objects.all()}
    programmes = {}
    for item in data["programmes"]:
        if item["code"] in existing:
            programmes[item["code"]] = existing[item["code"]]
            continue
        fields = _programme_fields(item, units)
        fields.update(
            start_date=datetime.date.fromisoformat(item["start_date"]),
            end_date=datetime.date.fromisoformat(item["end_date"]),
        )
        sessions = [
            {**session, "starts_at": _aware(session["starts_at"]), "ends_at": _aware(session["ends_at"])}
            for session in item["sessions"]
        ]
        programmes[item["code"]] = _create(actor, fields, sessions)
    for spec in current_specs(timezone.localdate()):
        if spec["code"] in existing:
            programmes[spec["code"]] = existing[spec["code"]]
            continue
        fields = {**_programme_fields(spec, units), "start_date": spec["start_date"], "end_date": spec["end_date"]}
        sessions = [{k: v for k, v in s.items() if k != "open_all_session"} for s in spec["sessions"]]
        programmes[spec["code"]] = _create(actor, fields, sessions)
    return programmes


def _demo_accounts(units: dict[str, OrganisingUnit]) -> dict[str, User]:
    specs = [
        (
            "organiser",
            {"name": "李组织（教师工作科）", "role": Role.ORGANISER, "unit": units["许昌市教育局教师工作科"]},
        ),
        (
            "organiser2",
            {"name": "赵组织（政策法规科）", "role": Role.ORGANISER, "unit": units["许昌市教育局政策法规科"]},
        ),
        ("bureau", {"name": "许昌市教育局（只读）", "role": Role.BUREAU}),
        ("admin", {"name": "系统管理员", "role": Role.BUREAU, "is_superuser": True}),
    ]
    accounts = {}
    password = make_password(DEMO_PASSWORD)
    for username, fields in specs:
        accounts[username], _ = User.objects.get_or_create(
            username=username, defaults={**fields, "is_staff": True, "password": password}
        )
    teachers = [
        ("teacher", "41100219850315002", {"name": "张老师", "mobile": "13900000001", "school": "许昌市第一中学",
                                          "district": District.WEIDU, "subject": "道德与法治", "title": "一级教师",
                                          "password": DEMO_PASSWORD}),
        ("newteacher", "41102319900701004", {"name": "陈新老师", "mobile": "13900000002", "school": "建安区实验小学",
                                             "district": District.JIAN_AN, "subject": "语文", "title": "二级教师"}),
    ]  # fmt: skip
    for key, first17, fields in teachers:
        id_number = first17 + id_check_char(first17)
        accounts[key] = User.objects.filter(id_number=id_number).first() or teacher_create(
            id_number=id_number, **fields
        )
    return accounts


@transaction.atomic
def seed_demo() -> dict[str, int]:
    """Build (or complete) the demo data set through the services. Returns counts of what exists afterwards."""
    units = _units(_fixtures())
    accounts = _demo_accounts(units)
    admin = accounts["admin"]
    programmes = load_programmes(actor=admin)

    people = population()
    existing = set(
        User.objects.filter(id_number__in=[p["id_number"] for p in people]).values_list("id_number", flat=True)
    )
    taken_mobiles = set(User.objects.exclude(mobile=None).values_list("mobile", flat=True))
    # Each teacher claims the account on first sign-in (ID number + mobile), as after a roster import.
    teachers_bulk_create(
        records=[
            {**record, "mobile": record["mobile"] if record["mobile"] not in taken_mobiles else None}
            for record in people
            if record["id_number"] not in existing
        ]
    )

    by_id = dict(User.objects.filter(id_number__in=[p["id_number"] for p in people]).values_list("id_number", "pk"))
    teacher_ids = [by_id[p["id_number"]] for p in people[:TEACHER_COUNT]]
    staff_ids = [by_id[p["id_number"]] for p in people[TEACHER_COUNT:]]
    rng = random.Random(2021)
    plan: dict[str, list[int]] = {"SD2021-01": teacher_ids, "FZ2021-0914": staff_ids}
    for code, count in PROGRAMME_SHARE.items():
        plan[code] = rng.sample(teacher_ids, count)
    demo_teacher = accounts["teacher"].pk
    for code in ("GP2021-01", "SHP2021-01", "SD2021-01"):
        plan[code].append(demo_teacher)
    plan["SD2021-01"] = plan["SD2021-01"] + [accounts["newteacher"].pk]
    current = random.Random(timezone.localdate().year)
    for spec in current_specs(timezone.localdate()):
        plan[spec["code"]] = current.sample(teacher_ids, spec["trainees"]) + (
            [demo_teacher] if spec["demo_teacher"] else []
        )

    for code, ids in plan.items():
        programme = programmes[code]
        enrolments_bulk_create(
            actor=admin, programme=programme, teacher_ids=ids, source=EnrolmentSource.IMPORT,
            enrolled_at=timezone.make_aware(datetime.datetime.combine(programme.start_date, datetime.time(8))),
        )  # fmt: skip
    return {
        "teachers": User.objects.filter(role=Role.TEACHER).count(),
        "programmes": Programme.objects.count(),
        "enrolments": Enrolment.objects.count(),
    }
