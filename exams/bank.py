"""The law question bank's source files: one per law under fixtures/questions/bank/, in a compact text form.

A file opens with its law, then one block per question, blocks separated by a blank line:

    法律：教师法
    全称：中华人民共和国教师法
    版本：2009年修正
    施行：2009-08-27
    前缀：JSF
    排序：4

    JSF-0001 | 单选 | 易 | 第七条 | 情境
    题干……
    + 正确的选项
    - 错误的选项
    解析：……

The header line of a question: code | kind (单选/多选/判断) | difficulty (易/中/难) | article, then optional
tags: 情境 (a school scenario), 停用 (kept for the record, not drawn), 版本=… (a revision other than the
file's). A true/false question has one line 答案：正确 or 答案：错误 instead of options.
"""

import datetime
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

KINDS = {"单选": "single", "多选": "multiple", "判断": "truefalse"}
LEVELS = {"易": 1, "中": 2, "难": 3}
LAW_KEYS = {
    "法律": "name",
    "全称": "title",
    "版本": "revision",
    "施行": "effective_on",
    "前缀": "code",
    "排序": "position",
}


class BankFileError(ValueError):
    pass


@dataclass
class BankFile:
    law: dict
    items: list[dict]


def bank_directory() -> Path:
    return Path(settings.BASE_DIR) / "fixtures" / "questions" / "bank"


def _question(block: list[str], law: dict, where: str) -> dict:
    head = [part.strip() for part in block[0].split("|")]
    if len(head) < 4:
        raise BankFileError(f"{where}：首行应为 编号 | 题型 | 难度 | 条款。")
    code, kind, level, article, *tags = head
    if kind not in KINDS or level not in LEVELS:
        raise BankFileError(f"{where}：题型或难度无法识别（{kind}、{level}）。")
    item = {
        "code": code,
        "law": law["name"],
        "revision": law["revision"],
        "article": article,
        "kind": KINDS[kind],
        "difficulty": LEVELS[level],
        "scenario": "情境" in tags,
        "active": "停用" not in tags,
    }
    for tag in tags:
        if tag.startswith("版本="):
            item["revision"] = tag.removeprefix("版本=")
    body = block[1:]
    if not body or not body[-1].startswith("解析："):
        raise BankFileError(f"{where}：最后一行应为“解析：……”。")
    item["explanation"] = body[-1]
    lines = body[:-1]
    stem = [line for line in lines if not line.startswith(("+ ", "- ", "答案："))]
    item["stem"] = "\n".join(stem).strip()
    if item["kind"] == "truefalse":
        answers = [line.removeprefix("答案：") for line in lines if line.startswith("答案：")]
        if answers not in (["正确"], ["错误"]):
            raise BankFileError(f"{where}：判断题应有一行“答案：正确”或“答案：错误”。")
        item["options"] = [
            {"text": "正确", "correct": answers[0] == "正确"},
            {"text": "错误", "correct": answers[0] == "错误"},
        ]
    else:
        item["options"] = [
            {"text": line[2:].strip(), "correct": line.startswith("+ ")}
            for line in lines
            if line.startswith(("+ ", "- "))
        ]
    return item


def bank_file_read(path: Path) -> BankFile:
    blocks: list[list[str]] = [[]]
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("#"):
            continue
        if line.strip():
            blocks[-1].append(line.rstrip())
        elif blocks[-1]:
            blocks.append([])
    blocks = [block for block in blocks if block]
    law: dict = {}
    for line in blocks[0]:
        key, _, value = line.partition("：")
        if key not in LAW_KEYS:
            raise BankFileError(f"{path.name}：文件头的“{key}”无法识别。")
        law[LAW_KEYS[key]] = value.strip()
    law["effective_on"] = datetime.date.fromisoformat(law["effective_on"])
    law["position"] = int(law.get("position", 100))
    items = [_question(block, law, f"{path.name} 第{i}题") for i, block in enumerate(blocks[1:], start=1)]
    return BankFile(law=law, items=items)


def bank_read(directory: Path | None = None) -> list[BankFile]:
    """Every law file of the bank, in the order of their 排序."""
    files = [bank_file_read(path) for path in sorted((directory or bank_directory()).glob("*.txt"))]
    return sorted(files, key=lambda bank_file: (bank_file.law["position"], bank_file.law["name"]))


def bank_load(directory: Path | None = None) -> dict:
    """Load (or bring up to date) the bank's laws and questions: exams.services.question_bank_load."""
    from .services import question_bank_load

    files = bank_read(directory)
    return question_bank_load(
        laws=[bank_file.law for bank_file in files],
        items=[item for bank_file in files for item in bank_file.items],
    )
