"""The law question bank as shipped (fixtures/questions/bank/): its shape, and every cited article against the
statute texts in ../shared/laws (the numbers are issue 18's; do not lower them to make a test pass)."""

import os
import re
from collections import Counter
from pathlib import Path

import pytest
from django.conf import settings

from exams.bank import bank_load, bank_read
from exams.models import Law, Question
from exams.question_io import stem_key

SEED_LAWS = {"宪法", "教育法", "义务教育法", "教师法", "行政许可法", "行政处罚法", "行政复议法"}
MIN_ACTIVE = 400
MIN_BEYOND_SEED = 150
MIN_SCENARIO_SHARE = 1 / 3
MIN_MULTIPLE_TWO_WRONG_SHARE = 0.8
TRUE_SHARE = (0.4, 0.6)
LAWS_DIR = Path(settings.BASE_DIR).parent / "shared" / "laws"
ARTICLE = re.compile(r"第([〇零一二三四五六七八九十百千]+)条(?:第([一二三四五六七八九十]+)款)?")
CN_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9, "十": 10}


@pytest.fixture(scope="module")
def files():
    return bank_read()


@pytest.fixture(scope="module")
def active(files):
    return [item for bank_file in files for item in bank_file.items if item["active"]]


def test_the_bank_has_the_size_and_spread_a_teachers_hour_needs(active):
    beyond = [item for item in active if item["law"] not in SEED_LAWS]
    scenarios = [item for item in active if item["scenario"]]
    counts = f"{len(active)} active, {len(beyond)} beyond the seed's seven, {len(scenarios)} scenarios"
    assert len(active) >= MIN_ACTIVE, counts
    assert len(beyond) >= MIN_BEYOND_SEED, counts
    assert len(scenarios) >= MIN_SCENARIO_SHARE * len(active), counts


def test_options_are_not_guessable_and_true_false_keys_are_balanced(active):
    singles = [item for item in active if item["kind"] == "single"]
    short = [item["code"] for item in singles if len(item["options"]) != 4]
    assert not short, f"single choice needs one key and three wrong options: {short}"
    multiples = [item for item in active if item["kind"] == "multiple"]
    two_wrong = [item for item in multiples if sum(not option["correct"] for option in item["options"]) >= 2]
    assert len(two_wrong) >= MIN_MULTIPLE_TWO_WRONG_SHARE * len(multiples), (len(two_wrong), len(multiples))
    truefalse = [item for item in active if item["kind"] == "truefalse"]
    true = sum(1 for item in truefalse if item["options"][0]["correct"])
    assert TRUE_SHARE[0] * len(truefalse) <= true <= TRUE_SHARE[1] * len(truefalse), (true, len(truefalse))


def test_codes_are_unique_and_every_question_names_its_basis(files):
    items = [item for bank_file in files for item in bank_file.items]
    codes = Counter(item["code"] for item in items)
    assert [code for code, n in codes.items() if n > 1] == []
    prefixes = Counter(bank_file.law["code"] for bank_file in files)
    assert [prefix for prefix, n in prefixes.items() if n > 1] == []
    for bank_file in files:
        for item in bank_file.items:
            assert item["code"].startswith(bank_file.law["code"] + "-"), item["code"]
            assert item["revision"] and item["article"] and item["explanation"].startswith("解析："), item["code"]
            assert ARTICLE.search(item["article"]) or item["article"] == "序言", item["code"]


def test_no_two_questions_test_the_same_thing_the_same_way(active):
    stems = Counter((item["law"], stem_key(item["stem"])) for item in active)
    assert [stem for stem, n in stems.items() if n > 1] == []
    keys = Counter(
        (item["law"], item["article"], item["kind"], frozenset(o["text"] for o in item["options"] if o["correct"]))
        for item in active
        if item["kind"] != "truefalse"
    )
    assert [key for key, n in keys.items() if n > 1] == []


def test_the_bank_loads_through_the_services_and_a_second_load_changes_nothing(db, files):
    first = bank_load()
    total = sum(len(bank_file.items) for bank_file in files)
    assert first["new"] + first["updated"] + first["unchanged"] == total
    assert Question.objects.filter(is_current=True).count() == total
    assert set(Law.objects.values_list("name", flat=True)) >= {bank_file.law["name"] for bank_file in files}
    assert bank_load() == {"new": 0, "updated": 0, "unchanged": total}


# ---- Against the statute texts.


def _laws_dir() -> Path:
    if not LAWS_DIR.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI needs the statute texts in {LAWS_DIR} to check the bank's articles.")
        pytest.skip(f"no statute texts at {LAWS_DIR}")
    return LAWS_DIR


def _text_of(directory: Path, law: str, revision: str) -> Path:
    """The file of a law's text in the revision a question follows (the year in its name matches)."""
    candidates = [
        p for p in directory.glob(f"{law}*.md") if re.fullmatch(rf"{re.escape(law)}(\(\d{{4}}-\d\d-\d\d\))?", p.stem)
    ]
    year = re.match(r"\d{4}", revision)
    dated = [p for p in candidates if "(" in p.stem]
    if year and dated:
        matching = [p for p in dated if p.stem.split("(")[1].startswith(year.group())]
        assert matching, f"{law}：没有 {revision} 的文本（有 {[p.name for p in candidates]}）"
        return matching[0]
    assert len(candidates) == 1, f"{law}：找不到唯一的文本（{[p.name for p in candidates]}）"
    return candidates[0]


def _paragraphs(text: str) -> dict[str, int]:
    """Each article's heading (第X条) → how many paragraphs (款) it has."""
    counts: dict[str, int] = {}
    current = None
    for line in text.splitlines():
        line = line.strip()
        heading = re.match(r"^(第[〇零一二三四五六七八九十百千]+条)[\s　]", line)
        if heading:
            current = heading.group(1)
            counts[current] = 1
        elif line.startswith("#") or line.startswith("<!--"):
            current = None
        elif current and line and not line.startswith("（"):
            counts[current] += 1
    return counts


def _number(chinese: str) -> int:
    if chinese == "十":
        return 10
    if chinese.startswith("十"):
        return 10 + CN_DIGITS[chinese[1]]
    if len(chinese) == 2 and chinese[1] == "十":
        return CN_DIGITS[chinese[0]] * 10
    if len(chinese) == 3:
        return CN_DIGITS[chinese[0]] * 10 + CN_DIGITS[chinese[2]]
    return CN_DIGITS[chinese]


def test_every_cited_article_exists_in_the_cited_law_and_revision(files):
    directory = _laws_dir()
    missing = []
    for bank_file in files:
        for item in bank_file.items:
            path = _text_of(directory, item["law"], item["revision"])
            paragraphs = _paragraphs(path.read_text(encoding="utf-8"))
            for article, paragraph in ARTICLE.findall(item["article"]):
                heading = f"第{article}条"
                if heading not in paragraphs:
                    missing.append(f"{item['code']}：{path.name} 没有{heading}")
                elif paragraph and _number(paragraph) > paragraphs[heading]:
                    missing.append(f"{item['code']}：{path.name} {heading}只有 {paragraphs[heading]} 款")
    assert missing == []


def test_the_readme_table_is_the_bank(files):
    """README.md describes the bank by law and kind; the table is the shipped bank's, not an older one."""
    readme = (Path(settings.BASE_DIR) / "README.md").read_text(encoding="utf-8")
    for bank_file in files:
        active = [item for item in bank_file.items if item["active"]]
        kinds = Counter(item["kind"] for item in active)
        row = (
            f"| {bank_file.law['name']} | {bank_file.law['revision']} | {kinds['single']} | {kinds['multiple']} | "
            f"{kinds['truefalse']} | {sum(item['scenario'] for item in active)} | {len(active)} |"
        )
        assert row in readme, f"README.md 的题库表与 {bank_file.law['name']} 不符，应为：{row}"
