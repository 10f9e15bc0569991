"""Question bank import and export as .xlsx: one path for the Django admin and `manage.py import_questions`.

read (common.excel) → analyse (normalise, validate every row with exams.services.question_problems,
compare with the bank) → preview; commit = the same analysis inside one transaction, then
question_create for each new question. A file with any error row is never written; a failure midway
leaves nothing behind. The export writes the same layout, so export → import gives “all unchanged”.

Every question has a code (编号, e.g. JSF-0001), and the export writes it. A row with a code updates the
question of that code when anything differs (exams.services.question_revise: a new version when teachers
were given the old one, so their attempts keep showing it), is unchanged when nothing does, and is new when
the bank has no such code. A row without a code is matched by law and stem as before codes existed: a
question already in the bank is left as it is and counted as unchanged (the preview says what differs);
a new one gets the law's next code.

Normalisation: codes (题型, 法律, 难度, 正确答案, the headers) go through NFKC, so full-width
letters, digits and brackets become half-width (“ＡＣＤ” is ACD). Text (题干, 选项, 解析, 版本, 条款)
keeps its Chinese punctuation and the (　) blanks of the bank as typed — NFKC would turn “，（　）”
into “,( )” — and only full-width letters and digits become half-width; all cells are trimmed.
Stems are compared on a key that ignores width and white space, so “第１条，” and “第1条,” are
the same question.
"""

import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from accounts.models import User
from common.excel import WorkbookRefused, build_workbook, check_upload, read_sheet

from .models import Law, Question, QuestionKind
from .services import CODE_PATTERN, TRUE_FALSE, question_create, question_problems, question_revise

CODE, KIND, LAW, REVISION, ARTICLE, DIFFICULTY, STEM, ANSWER, EXPLANATION = (
    "code", "kind", "law", "revision", "article", "difficulty", "stem", "answer", "explanation",
)  # fmt: skip
ACTIVE = "active"  # 启用: optional; the export writes it so that retired questions stay retired
OPTIONS = "options"  # a problem about the set of options, shown under the first option column
OPTION_LETTERS = "ABCDEF"  # the template and the export have at least these; 选项G… are read too
CANONICAL_HEADERS = {
    CODE: "编号",
    KIND: "题型",
    LAW: "法律",
    REVISION: "版本",
    ARTICLE: "条款",
    DIFFICULTY: "难度",
    STEM: "题干",
    ANSWER: "正确答案",
    EXPLANATION: "解析",
    ACTIVE: "启用",
}
HEADER_ALIASES = {
    CODE: ("编号", "试题编号", "题目编号"),
    KIND: ("题型", "题目类型", "试题类型", "类型"),
    LAW: ("法律", "法律名称", "所属法律", "法律法规"),
    REVISION: ("版本", "修订版本", "法律版本"),
    ARTICLE: ("条款", "条文", "法条", "依据条款"),
    DIFFICULTY: ("难度", "难易程度", "难易度"),
    STEM: ("题干", "题目", "试题", "题目内容", "试题内容"),
    ANSWER: ("正确答案", "答案", "标准答案", "参考答案"),
    EXPLANATION: ("解析", "答案解析", "试题解析"),
    ACTIVE: ("启用", "是否启用"),
}
REQUIRED = (KIND, LAW, REVISION, STEM, ANSWER, EXPLANATION)
_ALIAS_LOOKUP = {alias: key for key, aliases in HEADER_ALIASES.items() for alias in aliases}
_OPTION_HEADER = re.compile(r"^(?:选项)?([A-Z])(?:选项)?$")
HEADER_SEARCH_ROWS = 30
EXAMPLE_PREFIX = "示例"
SHEET_TITLE = "题库"

KIND_NAMES = {
    QuestionKind.SINGLE: ("单选题", "单选", "单项选择题", "单项选择", "single"),
    QuestionKind.MULTIPLE: ("多选题", "多选", "多项选择题", "多项选择", "multiple"),
    QuestionKind.TRUEFALSE: ("判断题", "判断", "是非题", "truefalse"),
}
_KIND_LOOKUP = {name.lower(): kind for kind, names in KIND_NAMES.items() for name in names}
DIFFICULTY_NAMES = {
    1: ("1", "易", "容易", "简单"),
    2: ("2", "中", "中等", "一般", "适中"),
    3: ("3", "难", "困难", "较难"),
}
_DIFFICULTY_LOOKUP = {name: level for level, names in DIFFICULTY_NAMES.items() for name in names}
DIFFICULTY_LABELS = {1: "易", 2: "中", 3: "难"}
_ACTIVE_WORDS = {
    "是": True,
    "启用": True,
    "1": True,
    "TRUE": True,
    "否": False,
    "停用": False,
    "0": False,
    "FALSE": False,
}
_TRUE_WORDS = ("正确", "对", "是", "√", "✓", "TRUE")
_FALSE_WORDS = ("错误", "错", "否", "×", "✗", "FALSE")
_ANSWER_SEPARATORS = re.compile(r"[\s,，、;；/|.]+")
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
# Full-width letters and digits only (U+FF10–FF19, FF21–FF3A, FF41–FF5A): Chinese punctuation stays.
_FULLWIDTH_ALNUM = {
    code: code - 0xFEE0
    for start, end in ((0xFF10, 0xFF19), (0xFF21, 0xFF3A), (0xFF41, 0xFF5A))
    for code in range(start, end + 1)
}
MAX_LENGTHS = {REVISION: 30, ARTICLE: 60}


def law_lookup() -> dict[str, str]:
    """Every way a file may name a law (short name, full title) → its name in exams.models.Law."""
    lookup = {}
    for name, title in Law.objects.values_list("name", "title"):
        lookup[title] = name
        lookup[name] = name
    return lookup


OPTION_MAX_LENGTH = 300


BANK_PERMISSION = "exams.change_question"


def may_manage_question_bank(user: User | None) -> bool:
    """Who may add to, import into or change the shared bank: the superuser and the bureau's bank
    manager (a user holding exams.change_question). Every unit's quizzes draw from the bank, so no
    organiser may change its answer keys."""
    return bool(user) and user.is_active and (user.is_superuser or user.has_perm(BANK_PERMISSION))


def may_read_question_bank(user: User | None) -> bool:
    """Who reads the bank with its answer keys (the 题库 page and its export): organisers, the bureau and the
    superuser; never a teacher, who takes quizzes drawn from it."""
    return bool(user) and user.is_active and (user.is_superuser or user.is_organiser or user.is_bureau)


def bank_manager_grant(user: User) -> None:
    """Make a (bureau) account the bank's keeper: the superuser's act, in the user admin or the demo seed."""
    from django.contrib.auth.models import Permission

    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="exams", codename__in=["add_question", "change_question"])
    )


class QuestionImportHasErrors(Exception):
    def __init__(self, report: "QuestionReport"):
        super().__init__(f"题库文件有 {len(report.errors)} 处错误，未导入任何试题。")
        self.report = report


@dataclass
class QuestionRow:
    row: int  # the Excel row number
    raw: tuple
    values: dict  # normalised: code, kind, law, revision, article, difficulty, stem, explanation, answer (as typed)
    options: list[tuple[str, bool]] = field(default_factory=list)
    letters: list[str] = field(default_factory=list)  # the letter of each option, as in the file
    action: str = ""  # "new", "updated" or "unchanged"
    errors: list[tuple[str, str]] = field(default_factory=list)
    question_pk: int | None = None
    differs: list[str] = field(default_factory=list)  # what the bank's copy has otherwise (unchanged rows)
    bank_inactive: bool = False  # the bank's copy is switched off (启用 unticked)

    def fields(self) -> dict:
        """The arguments of exams.services.question_create."""
        return {
            "code": self.values[CODE],
            "law": self.values[LAW],
            "revision": self.values[REVISION],
            "article": self.values[ARTICLE],
            "kind": self.values[KIND],
            "difficulty": self.values[DIFFICULTY],
            "stem": self.values[STEM],
            "explanation": self.values[EXPLANATION],
            "options": self.options,
            "is_active": self.values[ACTIVE],
        }


@dataclass
class QuestionReport:
    sheet: str
    header_row: int
    headers: list[str]
    columns: dict[str, int]
    option_columns: dict[str, int]  # letter → column index
    rows: list[QuestionRow]
    laws: dict[str, str] = field(default_factory=dict)  # law_lookup()
    committed: bool = False

    @property
    def errors(self) -> list[dict]:
        return [
            {"row": row.row, "column": column, "message": message}
            for row in self.rows
            for column, message in row.errors
        ]

    @property
    def error_rows(self) -> list[QuestionRow]:
        return [row for row in self.rows if row.errors]

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action and not row.errors)

    def as_dict(self) -> dict:
        return {
            "new": self.count("new"),
            "updated": self.count("updated"),
            "unchanged": self.count("unchanged"),
            "errors": self.errors,
        }

    def column_header(self, key: str) -> str:
        """The header of a column as written in the file (or its canonical name when the file has none)."""
        if key == OPTIONS:
            letters = sorted(self.option_columns)
            return self.column_header(letters[0]) if letters else "选项A"
        if len(key) == 1:
            index = self.option_columns.get(key)
            return self.headers[index] if index is not None else f"选项{key}"
        index = self.columns.get(key)
        return self.headers[index] if index is not None else CANONICAL_HEADERS[key]


# ---- Reading cells.


def _value_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _unneutralise(text: str) -> str:
    """Undo common.excel.safe_cell: an exported “'=…” comes back as “=…”."""
    return text[1:] if text.startswith("'") and text[1:2] in _FORMULA_TRIGGERS and len(text) > 1 else text


def _code(value) -> str:
    """A short code cell (题型, 法律, 难度, 版本…): NFKC, white space collapsed, trimmed."""
    text = unicodedata.normalize("NFKC", _value_text(value))
    return _unneutralise(re.sub(r"\s+", " ", text).strip())


def _short_text(value) -> str:
    """版本, 条款: like free text, on one line."""
    return re.sub(r"\s+", " ", _free_text(value))


def _free_text(value) -> str:
    """题干, 选项, 解析: trimmed, full-width letters and digits made half-width, punctuation kept."""
    text = _value_text(value).translate(_FULLWIDTH_ALNUM)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    return _unneutralise(text).strip()


def stem_key(text: str) -> str:
    """What makes two stems the same question: width and white space do not count."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or ""))


def _header_key(cell) -> str | None:
    if cell is None:
        return None
    text = unicodedata.normalize("NFKC", str(cell))
    text = re.sub(r"\s+", "", text).replace("*", "")
    text = re.sub(r"\((?:必填|选填|可选|可不填|必选)\)$", "", text)
    if text in _ALIAS_LOOKUP:
        return _ALIAS_LOOKUP[text]
    stripped = re.sub(r"\([^)]*\)$", "", text)  # 难度(1/2/3)
    if stripped in _ALIAS_LOOKUP:
        return _ALIAS_LOOKUP[stripped]
    match = _OPTION_HEADER.match(stripped.upper())
    return match.group(1) if match else None


def _find_header(rows: list[tuple]) -> tuple[int, dict[str, int], dict[str, int]]:
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        columns: dict[str, int] = {}
        options: dict[str, int] = {}
        for col, cell in enumerate(row):
            key = _header_key(cell)
            if key is None:
                continue
            target = options if len(key) == 1 else columns
            target.setdefault(key, col)
        if STEM in columns and ANSWER in columns:
            missing = [CANONICAL_HEADERS[key] for key in REQUIRED if key not in columns]
            if missing:
                raise WorkbookRefused(
                    f"表头（第{index + 1}行）缺少必需的列：{'、'.join(missing)}。"
                    f"表头应为：{'、'.join(template_headers())}。"
                )
            return index, columns, options
    raise WorkbookRefused(
        f"在前 {HEADER_SEARCH_ROWS} 行中找不到表头：表头行至少要有“题干”和“正确答案”两列。"
        f"表头应为：{'、'.join(template_headers())}。"
    )


def _blank(row: tuple, indexes: list[int]) -> bool:
    """Nothing in any column of the layout (a remark to the right of the table does not make a question)."""
    cells = [row[i] for i in indexes if i < len(row)]
    return all(value is None or (isinstance(value, str) and not value.strip()) for value in cells)


# ---- One row.


def _law(text: str, lookup: dict[str, str]) -> str:
    """A law's name in exams.models.Law from its short name, full title, or either in 《》; else the text."""
    candidates = [text, text.strip("《》"), re.sub(r"^中华人民共和国", "", text.strip("《》"))]
    for candidate in candidates:
        if candidate in lookup:
            return lookup[candidate]
    return text


def _kind(text: str) -> str:
    return _KIND_LOOKUP.get(text.replace(" ", "").lower(), text)


def _problem_key(message: str) -> str:
    """Which column a message of exams.services.question_problems belongs to ("" for the whole row)."""
    if message.startswith("未知的法律"):
        return LAW
    if message.startswith("未知的题型"):
        return KIND
    if message.startswith("题干"):
        return STEM
    if message.startswith("解析"):
        return EXPLANATION
    if "正确选项" in message or "正确答案" in message:
        return ANSWER
    if "选项" in message:
        return OPTIONS
    return ""


def _parse_row(number: int, raw: tuple, report: QuestionReport) -> QuestionRow | None:
    def cell(index):
        return raw[index] if index is not None and index < len(raw) else None

    stem = _free_text(cell(report.columns.get(STEM)))
    if stem.startswith(EXAMPLE_PREFIX):
        return None
    errors: dict[str, list[str]] = {}

    def refuse(key: str, message: str) -> None:
        errors.setdefault(key, []).append(message)

    kind_text = _code(cell(report.columns.get(KIND)))
    law_text = _code(cell(report.columns.get(LAW)))
    kind, law = _kind(kind_text), _law(law_text, report.laws)
    known_laws = set(report.laws.values())
    if not kind_text:
        refuse(KIND, "题型不能为空：请填 单选题、多选题 或 判断题。")
    if not law_text:
        refuse(LAW, f"法律不能为空，可选：{'、'.join(dict.fromkeys(report.laws.values()))}。")
    code = _code(cell(report.columns.get(CODE))).upper()
    if code and not CODE_PATTERN.match(code):
        refuse(CODE, f"编号“{code}”格式不对：应为大写字母前缀、短横线和四位数字，如 JSF-0001；新题可留空。")
    revision = _short_text(cell(report.columns.get(REVISION)))
    if not revision:
        refuse(REVISION, "版本不能为空：请写明法律的版本，如“2021年修订”。")
    article = _short_text(cell(report.columns.get(ARTICLE)))
    for key, text in ((REVISION, revision), (ARTICLE, article)):
        if len(text) > MAX_LENGTHS[key]:
            refuse(key, f"{CANONICAL_HEADERS[key]}过长（最多{MAX_LENGTHS[key]}个字符）。")
    difficulty_text = _code(cell(report.columns.get(DIFFICULTY)))
    difficulty = _DIFFICULTY_LOOKUP.get(difficulty_text.replace(" ", "")) if difficulty_text else 2
    if difficulty is None:
        refuse(DIFFICULTY, f"难度“{difficulty_text}”无法识别：请填 1、2、3 或 易、中、难（不填为“中”）。")
    explanation = _free_text(cell(report.columns.get(EXPLANATION)))
    active_text = _code(cell(report.columns.get(ACTIVE))).upper()
    active = _ACTIVE_WORDS.get(active_text) if active_text else None
    if active_text and active is None:
        refuse(ACTIVE, f"启用“{active_text}”无法识别：请填 是 或 否（不填：新题启用，已有试题不变）。")

    # The options as in the file, by letter; a true/false question may leave A and B empty.
    texts = {letter: _free_text(cell(index)) for letter, index in sorted(report.option_columns.items())}
    if kind == QuestionKind.TRUEFALSE and not texts.get("A") and not texts.get("B"):
        texts.update(A=TRUE_FALSE[0], B=TRUE_FALSE[1])
    filled = [letter for letter in sorted(texts) if texts[letter]]
    for letter in sorted(texts):
        if not texts[letter] and any(later > letter for later in filled):
            refuse(letter, f"选项{letter}为空，但后面的选项有内容：请依次填写选项，中间不要留空。")
        if len(texts[letter]) > OPTION_MAX_LENGTH:
            refuse(letter, f"选项过长（最多{OPTION_MAX_LENGTH}个字符）。")

    # The answer: letters (A, ACD, “A、C”), or for true/false also 正确/错误.
    answer_raw = cell(report.columns.get(ANSWER))
    answer = _code(answer_raw).upper()
    compact = _ANSWER_SEPARATORS.sub("", answer)
    correct: set[str] = set()
    if not compact:
        refuse(ANSWER, "正确答案不能为空：请填选项字母，如 A 或 ACD。")
    elif kind == QuestionKind.TRUEFALSE and compact in _TRUE_WORDS + _FALSE_WORDS:
        wanted = TRUE_FALSE[0] if compact in _TRUE_WORDS else TRUE_FALSE[1]
        correct = {letter for letter in filled if texts[letter] == wanted}
        if not correct:
            refuse(ANSWER, f"正确答案“{wanted}”不在选项中：判断题的选项应为“正确”和“错误”。")
    elif not re.fullmatch(r"[A-Z]+", compact):
        hint = "请填选项字母，如 A 或 ACD" + ("；判断题也可填“正确”或“错误”" if kind == QuestionKind.TRUEFALSE else "")
        refuse(ANSWER, f"正确答案“{_code(answer_raw)}”无法识别：{hint}。")
    else:
        correct = set(compact)
        beyond = sorted(letter for letter in correct if letter not in texts)
        empty = sorted(letter for letter in correct if letter in texts and not texts[letter])
        if beyond:
            have = f"本表的选项为 {min(texts)}–{max(texts)}" if texts else "本表没有选项列"
            refuse(ANSWER, f"正确答案中的“{'、'.join(beyond)}”超出了选项范围（{have}）。")
        if empty:
            named = "、".join(f"选项{letter}" for letter in empty)
            refuse(ANSWER, f"正确答案中的“{'、'.join(empty)}”对应的{named}是空的：请填写该选项或改正答案。")
        correct -= set(beyond) | set(empty)

    options = [(texts[letter], letter in correct) for letter in filled]
    problems = question_problems(
        law=law, kind=kind, options=options, stem=stem, explanation=explanation, known_laws=known_laws
    )
    for message in problems:
        key = _problem_key(message)
        if key == OPTIONS and any(len(k) == 1 for k in errors):
            continue  # an empty or too long option is already named
        if key == ANSWER and (ANSWER in errors or OPTIONS in errors):
            continue  # the answer's own problem says more, or the options are wrong anyway
        if key and key in errors:
            continue  # e.g. 法律不能为空 already said
        refuse(key, message)

    values = {
        CODE: code,
        KIND: kind,
        LAW: law,
        REVISION: revision,
        ARTICLE: article,
        DIFFICULTY: difficulty,
        STEM: stem,
        EXPLANATION: explanation,
        ANSWER: _code(answer_raw),
        ACTIVE: active,
    }
    row = QuestionRow(row=number, raw=raw, values=values, options=options, letters=filled)
    order = [
        CODE,
        KIND,
        LAW,
        REVISION,
        ARTICLE,
        DIFFICULTY,
        STEM,
        *sorted(texts),
        OPTIONS,
        ANSWER,
        EXPLANATION,
        ACTIVE,
        "",
    ]
    for key in sorted(errors, key=order.index):
        row.errors.extend((report.column_header(key) if key else "", message) for message in errors[key])
    return row


def parse_questions(data: bytes, *, filename: str = "", sheet: str | None = None) -> QuestionReport:
    """Read and validate a question workbook on its own, without the database."""
    check_upload(data, filename=filename)
    sheet_rows = read_sheet(data, sheet=sheet)
    header_index, columns, option_columns = _find_header(sheet_rows.rows)
    headers = [_code(cell) for cell in sheet_rows.rows[header_index]]
    report = QuestionReport(
        sheet=sheet_rows.title,
        header_row=header_index + 1,
        headers=headers,
        columns=columns,
        option_columns=option_columns,
        rows=[],
        laws=law_lookup(),
    )
    seen: dict[tuple[str, str], int] = {}
    seen_codes: dict[str, int] = {}
    indexes = [*columns.values(), *option_columns.values()]
    for number, raw in enumerate(sheet_rows.rows[header_index + 1 :], start=header_index + 2):
        if _blank(raw, indexes):
            continue
        row = _parse_row(number, raw, report)
        if row is None:
            continue
        law, stem, code = row.values[LAW], row.values[STEM], row.values[CODE]
        if code and code in seen_codes:
            row.errors.append(
                (report.column_header(CODE), f"第{seen_codes[code]}行与第{row.row}行的编号都是 {code}：编号不能重复。")
            )
        elif code:
            seen_codes[code] = row.row
        if law in report.laws.values() and stem:
            key = (law, stem_key(stem))
            if key in seen:
                row.errors.append(
                    (
                        report.column_header(STEM),
                        f"第{seen[key]}行与第{row.row}行是同一法律（{law}）下的相同题干，请删除重复的一行。",
                    )
                )
            else:
                seen[key] = row.row
        report.rows.append(row)
    return report


# ---- The bank.


def _signature(kind, revision, article, difficulty, explanation, options) -> dict:
    return {
        "题型": kind,
        "版本": stem_key(revision),
        "条款": stem_key(article),
        "难度": difficulty,
        "解析": stem_key(explanation),
        "选项": [stem_key(text) for text, _correct in options],
        "正确答案": [correct for _text, correct in options],
    }


def _compare_with_bank(report: QuestionReport) -> None:
    """Each valid row is new, updated (its code is in the bank and something differs) or unchanged.

    Rows without a code are matched by law and stem, and such a match is never updated.
    """
    valid = [row for row in report.rows if not row.errors]
    current = Question.objects.filter(is_current=True)
    by_stem = {
        (law, stem_key(stem)): (pk, code) for pk, law, stem, code in current.values_list("pk", "law", "stem", "code")
    }
    by_code = {code: pk for (pk, code) in by_stem.values()}
    ever_used = set(Question.objects.values_list("code", flat=True))
    matched = {}
    for row in valid:
        code = row.values[CODE]
        same_stem = by_stem.get((row.values[LAW], stem_key(row.values[STEM])))
        if code:
            pk = by_code.get(code)
            if pk is None and code in ever_used:
                row.errors.append((report.column_header(CODE), f"编号 {code} 的试题已不是当前版本，不能导入。"))
                continue
            if same_stem is not None and same_stem[1] != code:
                row.errors.append(
                    (report.column_header(STEM), f"题库中编号 {same_stem[1]} 的试题已有相同的法律和题干，请用该编号。")
                )
                continue
        else:
            pk = same_stem[0] if same_stem else None
        row.action = "new" if pk is None else "unchanged"
        if pk is not None:
            row.question_pk = pk
            matched[pk] = row
    for question in Question.objects.filter(pk__in=list(matched)).prefetch_related("options"):
        row = matched[question.pk]
        theirs = _signature(
            question.kind,
            question.revision,
            question.article,
            question.difficulty,
            question.explanation,
            [(option.text, option.is_correct) for option in question.options.all()],
        )
        ours = _signature(
            row.values[KIND],
            row.values[REVISION],
            row.values[ARTICLE],
            row.values[DIFFICULTY],
            row.values[EXPLANATION],
            row.options,
        )
        if row.values[CODE] and question.law_id != row.values[LAW]:
            ours["法律"], theirs["法律"] = row.values[LAW], question.law_id
        if row.values[CODE] and stem_key(question.stem) != stem_key(row.values[STEM]):
            ours["题干"], theirs["题干"] = stem_key(row.values[STEM]), stem_key(question.stem)
        if row.values[ACTIVE] is not None and row.values[ACTIVE] != question.is_active:
            ours["启用"], theirs["启用"] = row.values[ACTIVE], question.is_active
        row.differs = [name for name in ours if ours[name] != theirs.get(name)]
        row.bank_inactive = not question.is_active
        if row.values[CODE] and row.differs:
            row.action = "updated"


def _require_importer(actor: User | None) -> None:
    if actor is not None and not may_manage_question_bank(actor):
        raise PermissionDenied("共享题库只能由教育局题库管理员或系统管理员导入。")


def questions_preview(
    *, data: bytes, filename: str = "", sheet: str | None = None, actor: User | None = None
) -> QuestionReport:
    """What importing this file would do; writes nothing. actor None: the command line (trusted)."""
    _require_importer(actor)
    report = parse_questions(data, filename=filename, sheet=sheet)
    _compare_with_bank(report)
    return report


@transaction.atomic
def questions_commit(
    *, data: bytes, filename: str = "", sheet: str | None = None, actor: User | None = None
) -> QuestionReport:
    """Import every new and updated question of the file, or nothing: the analysis is repeated inside the transaction."""
    _require_importer(actor)
    report = parse_questions(data, filename=filename, sheet=sheet)
    _compare_with_bank(report)
    if report.errors:
        raise QuestionImportHasErrors(report)
    try:
        with transaction.atomic():
            for row in report.rows:
                if row.action not in ("new", "updated"):
                    continue
                try:
                    if row.action == "new":
                        row.question_pk = question_create(**row.fields()).pk
                    else:
                        fields = row.fields()
                        fields.pop("code")
                        question = Question.objects.get(pk=row.question_pk)
                        row.question_pk = question_revise(question=question, **fields).pk
                except ValidationError as error:
                    row.errors.append(("", "；".join(error.messages)))
            if report.errors:
                raise QuestionImportHasErrors(report)  # leaves the block: everything is rolled back
    except IntegrityError as error:
        raise WorkbookRefused(
            "导入时题库被其他操作同时修改（如同一份文件被同时导入），本次未导入任何试题，请重新导入。"
        ) from error
    report.committed = True
    return report


# ---- Export and template: the same layout as the import.


def template_headers(option_count: int = len(OPTION_LETTERS)) -> list[str]:
    letters = [chr(ord("A") + i) for i in range(max(option_count, len(OPTION_LETTERS)))]
    return [
        *(CANONICAL_HEADERS[key] for key in (CODE, KIND, LAW, REVISION, ARTICLE, DIFFICULTY, STEM)),
        *(f"选项{letter}" for letter in letters),
        CANONICAL_HEADERS[ANSWER],
        CANONICAL_HEADERS[EXPLANATION],
        CANONICAL_HEADERS[ACTIVE],
    ]


def _answer(question: Question, options: list) -> str:
    if question.kind == QuestionKind.TRUEFALSE:
        return "".join(option.text for option in options if option.is_correct)
    return "".join(chr(ord("A") + i) for i, option in enumerate(options) if option.is_correct)


def questions_workbook(questions=None) -> bytes:
    """The bank (or the given questions) as .xlsx in the import layout; every string cell neutralised.

    Current versions only: an older version is history (it stays in the attempts that showed it)."""
    questions = Question.objects.all() if questions is None else questions
    questions = list(questions.filter(is_current=True).prefetch_related("options").order_by("law_id", "code"))
    width = max([len(OPTION_LETTERS), *(len(q.options.all()) for q in questions)])
    headers = template_headers(width)
    rows = []
    for question in questions:
        options = list(question.options.all())
        texts = [option.text for option in options] + [None] * (width - len(options))
        rows.append(
            [
                question.code,
                question.get_kind_display(),
                question.law_id,
                question.revision,
                question.article,
                DIFFICULTY_LABELS.get(question.difficulty, question.difficulty),
                question.stem,
                *texts,
                _answer(question, options),
                question.explanation,
                "是" if question.is_active else "否",
            ]
        )
    text_columns = [h for h in headers if h.startswith("选项")] + ["编号", "版本", "条款", "正确答案"]
    return build_workbook([(SHEET_TITLE, headers, rows)], text_columns=text_columns)


def template_workbook() -> bytes:
    """The import template: a title row, a notes row, the headers and one example row (skipped on import)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    headers = template_headers()
    law_names = list(Law.objects.values_list("name", flat=True))
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = SHEET_TITLE
    sheet.append(["法治知识题库（导入模板）"])
    sheet.append(
        [
            "说明：从第4行起每行一道题。编号：新题留空（系统按法律自动编号），修改已有试题时填它的编号；"
            "题型填 单选题、多选题 或 判断题；法律填："
            + "、".join(law_names)
            + "；版本如“2021年修订”；条款不确定时留空，不要猜测条号；难度填 1、2、3 或 易、中、难（不填为“中”）；"
            "正确答案填选项字母，如 A 或 ACD；判断题的选项A、B可留空（即“正确”“错误”），答案可填“正确”或“错误”；"
            "解析必填，写明依据。启用可不填（新题启用，已有试题不变），填“否”则该题不再被抽取。填了编号的行按编号更新试题（已有教师作答的试题会保存为新版本，旧的作答仍显示旧版本）；"
            "没填编号的行，同一法律下题干相同的题目视为已在题库中，不会重复导入，也不会被修改。"
            "以“示例”开头的题干不会导入，可删除该行。"
        ]
    )
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
    sheet.merge_cells(start_row=2, start_column=1, end_row=2, end_column=len(headers))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"].alignment = Alignment(wrap_text=True, vertical="top")
    sheet.row_dimensions[2].height = 90
    sheet.append(headers)
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    sheet.append(
        [
            None, "多选题", "教师法", "2009年修正", "第七条", "中", "示例：根据教师法，下列属于教师享有的权利的有：",
            "进行教育教学活动，开展教育教学改革和实验", "指导学生的学习和发展，评定学生的品行和学业成绩",
            "从事科学研究、学术交流，参加专业的学术团体", "参加进修或者其他方式的培训",
            "关心、爱护全体学生，尊重学生人格", None, "ABCD",
            "解析：依据《中华人民共和国教师法》第七条，正确选项均为第七条规定的教师权利。"
            "“关心、爱护全体学生，尊重学生人格”是第八条规定的教师义务。",
        ]
    )  # fmt: skip
    for header, values in (("题型", "单选题,多选题,判断题"), ("法律", ",".join(law_names)), ("难度", "易,中,难")):
        if len(values) > 255:
            continue  # Excel refuses a list validation longer than 255 characters: the notes row lists the laws
        column = get_column_letter(headers.index(header) + 1)
        validation = DataValidation(type="list", formula1=f'"{values}"', allow_blank=True)
        validation.error = f"请从列表中选择{header}。"
        sheet.add_data_validation(validation)
        validation.add(f"{column}4:{column}2003")
    for index, header in enumerate(headers, start=1):
        width = 40 if header in ("题干", "解析") else 24 if header.startswith("选项") else 12
        sheet.column_dimensions[get_column_letter(index)].width = width
    answer_column = get_column_letter(headers.index("正确答案") + 1)
    for row in range(4, 2004):
        sheet[f"{answer_column}{row}"].number_format = "@"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
