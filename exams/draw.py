"""Draw rules: how many questions of which kind, laws and difficulty a quiz draws. One place for the rule.

A quiz without rules draws its three counts (单选/多选/判断) from its laws (all laws when none are chosen),
so quizzes made before the rules existed draw exactly as before.
"""

from dataclasses import dataclass

from .models import QuestionKind

DIFFICULTIES = (1, 2, 3)


@dataclass(frozen=True)
class DrawRule:
    kind: str
    count: int
    laws: tuple[str, ...] = ()  # empty: every law
    difficulty: tuple[int, ...] = ()  # empty: every difficulty

    def describe(self) -> str:
        laws = "、".join(self.laws) if self.laws else "全部法律"
        levels = "、".join({1: "易", 2: "中", 3: "难"}[level] for level in self.difficulty) or "不限难度"
        return f"{QuestionKind(self.kind).label} {self.count} 道（{laws}；{levels}）"


def quiz_draw_rules(quiz) -> list[DrawRule]:
    """The rules a quiz draws by, in order: its draw_rules, or the three counts with its laws."""
    if quiz.draw_rules:
        return [
            DrawRule(
                kind=rule["kind"],
                count=int(rule["count"]),
                laws=tuple(rule.get("laws") or ()),
                difficulty=tuple(int(level) for level in rule.get("difficulty") or ()),
            )
            for rule in quiz.draw_rules
        ]
    laws = tuple(quiz.laws or ())
    return [
        DrawRule(kind=kind, count=count, laws=laws)
        for kind, count in (
            (QuestionKind.SINGLE, quiz.single_count),
            (QuestionKind.MULTIPLE, quiz.multiple_count),
            (QuestionKind.TRUEFALSE, quiz.truefalse_count),
        )
        if count
    ]


def draw_rules_problems(rules, *, known_laws: set[str]) -> list[str]:
    """Every reason the draw_rules value cannot be used, in Chinese; empty when it can."""
    if rules in (None, []):
        return []
    if not isinstance(rules, list):
        return ["抽题规则应为规则的列表。"]
    problems = []
    for number, rule in enumerate(rules, start=1):
        where = f"第{number}条抽题规则"
        if not isinstance(rule, dict):
            problems.append(f'{where}应为一个对象，如 {{"kind": "single", "count": 5}}。')
            continue
        unknown_keys = sorted(set(rule) - {"kind", "count", "laws", "difficulty"})
        if unknown_keys:
            problems.append(f"{where}有未知的项：{'、'.join(unknown_keys)}（可用 kind、count、laws、difficulty）。")
        if rule.get("kind") not in QuestionKind.values:
            problems.append(f"{where}的题型“{rule.get('kind')}”未知，可选：single、multiple、truefalse。")
        count = rule.get("count")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            problems.append(f"{where}的题数应为正整数。")
        laws = rule.get("laws") or []
        if not isinstance(laws, list):
            problems.append(f"{where}的法律应为法律名称的列表。")
        else:
            unknown = [str(law) for law in laws if law not in known_laws]
            if unknown:
                problems.append(f"{where}有未知的法律：{'、'.join(unknown)}。")
        levels = rule.get("difficulty") or []
        if not isinstance(levels, list) or any(level not in DIFFICULTIES for level in levels):
            problems.append(f"{where}的难度应为 1、2、3 组成的列表（1 易、2 中、3 难）。")
    return problems
