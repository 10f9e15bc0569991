"""Laws become rows (seeded with the ten of the old fixed list); questions get a code and a version.

Existing questions get the codes the bank's fixture gives them: the law's prefix and their order within the
law (the fixture was loaded in file order), so reloading the fixture updates them rather than adding copies.
"""

import datetime

import django.db.models.deletion
from django.db import migrations, models

LAWS = [
    # name, title, revision, effective_on, code
    ("宪法", "中华人民共和国宪法", "2018年修正", datetime.date(2018, 3, 11), "XF"),
    ("教育法", "中华人民共和国教育法", "2021年修正", datetime.date(2021, 4, 30), "JYF"),
    ("义务教育法", "中华人民共和国义务教育法", "2018年修正", datetime.date(2018, 12, 29), "YJF"),
    ("教师法", "中华人民共和国教师法", "2009年修正", datetime.date(2009, 8, 27), "JSF"),
    ("行政许可法", "中华人民共和国行政许可法", "2019年修正", datetime.date(2019, 4, 23), "XKF"),
    ("行政处罚法", "中华人民共和国行政处罚法", "2021年修订", datetime.date(2021, 7, 15), "CFF"),
    ("行政复议法", "中华人民共和国行政复议法", "2023年修订", datetime.date(2024, 1, 1), "FYF"),
    ("未成年人保护法", "中华人民共和国未成年人保护法", "2024年修正", datetime.date(2024, 4, 26), "WBF"),
    ("家庭教育促进法", "中华人民共和国家庭教育促进法", "2021年", datetime.date(2022, 1, 1), "JJF"),
    ("预防未成年人犯罪法", "中华人民共和国预防未成年人犯罪法", "2020年修订", datetime.date(2021, 6, 1), "YFF"),
]


def seed_laws(apps, schema_editor):
    Law = apps.get_model("exams", "Law")
    for position, (name, title, revision, effective_on, code) in enumerate(LAWS, start=1):
        Law.objects.update_or_create(
            name=name,
            defaults={
                "title": title,
                "revision": revision,
                "effective_on": effective_on,
                "code": code,
                "position": position,
            },
        )


def assign_codes(apps, schema_editor):
    Question = apps.get_model("exams", "Question")
    prefixes = {name: code for name, _title, _revision, _date, code in LAWS}
    numbers: dict[str, int] = {}
    for question in Question.objects.order_by("pk").only("pk", "law"):
        numbers[question.law] = numbers.get(question.law, 0) + 1
        question.code = f"{prefixes[question.law]}-{numbers[question.law]:04d}"
        question.save(update_fields=["code"])


class Migration(migrations.Migration):
    dependencies = [("exams", "0001_initial")]

    operations = [
        migrations.CreateModel(
            name="Law",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                (
                    "name",
                    models.CharField(
                        help_text="如 教师法；题库、导入文件和测试都用这个名称", max_length=20, unique=True, verbose_name="简称"
                    ),
                ),
                ("title", models.CharField(help_text="如 中华人民共和国教师法", max_length=60, verbose_name="全称")),
                ("revision", models.CharField(help_text="如 2009年修正", max_length=30, verbose_name="现行版本")),
                ("effective_on", models.DateField(help_text="现行版本开始施行的日期", verbose_name="施行日期")),
                (
                    "code",
                    models.CharField(
                        help_text="试题编号的前缀，大写字母，如 JSF（试题编号 JSF-0001）",
                        max_length=6,
                        unique=True,
                        verbose_name="编号前缀",
                    ),
                ),
                ("position", models.PositiveSmallIntegerField(default=100, verbose_name="排序")),
            ],
            options={
                "verbose_name": "法律法规",
                "verbose_name_plural": "法律法规",
                "ordering": ["position", "name"],
                "constraints": [
                    models.CheckConstraint(condition=models.Q(("code__regex", "^[A-Z]{1,6}$")), name="law_code_upper_letters")
                ],
            },
        ),
        migrations.RunPython(seed_laws, migrations.RunPython.noop),
        migrations.RemoveConstraint(model_name="question", name="unique_question_stem_per_law"),
        migrations.AddField(
            model_name="question",
            name="code",
            field=models.CharField(default="", help_text="如 JSF-0001；导入时按编号更新试题", max_length=20, verbose_name="编号"),
            preserve_default=False,
        ),
        migrations.AddField(
            model_name="question",
            name="version",
            field=models.PositiveSmallIntegerField(default=1, verbose_name="版本号"),
        ),
        migrations.AddField(
            model_name="question",
            name="is_current",
            field=models.BooleanField(default=True, help_text="旧版本只在当时的作答中显示，不再抽题", verbose_name="当前版本"),
        ),
        migrations.RunPython(assign_codes, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="question",
            name="law",
            field=models.ForeignKey(
                db_column="law",
                on_delete=django.db.models.deletion.PROTECT,
                related_name="questions",
                to="exams.law",
                to_field="name",
                verbose_name="法律",
            ),
        ),
        migrations.AlterModelOptions(
            name="question",
            options={"ordering": ["law_id", "code", "version"], "verbose_name": "试题", "verbose_name_plural": "题库"},
        ),
        migrations.AddConstraint(
            model_name="question",
            constraint=models.UniqueConstraint(fields=("code", "version"), name="unique_question_code_version"),
        ),
        migrations.AddConstraint(
            model_name="question",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_current", True)), fields=("code",), name="one_current_version_per_code"
            ),
        ),
        migrations.AddConstraint(
            model_name="question",
            constraint=models.UniqueConstraint(
                condition=models.Q(("is_current", True)),
                fields=("law", "stem"),
                name="unique_current_question_stem_per_law",
            ),
        ),
        migrations.AddConstraint(
            model_name="question",
            constraint=models.CheckConstraint(condition=models.Q(("version__gte", 1)), name="question_version_positive"),
        ),
        migrations.AddField(
            model_name="quiz",
            name="avoid_seen",
            field=models.BooleanField(
                default=False,
                help_text="再次作答时优先抽取该教师在本测试以前的作答中没有见过的题目",
                verbose_name="避开已做过的题",
            ),
        ),
        migrations.AddField(
            model_name="quiz",
            name="draw_rules",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text=(
                    "留空时按上面的三个题数和限定法律抽题。否则为规则列表，每条规则如 "
                    '{"kind": "single", "count": 5, "laws": ["民法典·侵权责任编"], "difficulty": [2, 3]}；'
                    "laws、difficulty 可省略（不限）；各规则依次抽取，同一道题不会抽两次。"
                ),
                verbose_name="抽题规则",
            ),
        ),
    ]
