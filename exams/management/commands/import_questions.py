import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from common.excel import WorkbookRefused
from exams.question_io import QuestionImportHasErrors, questions_commit, questions_preview


class Command(BaseCommand):
    help = (
        "从 .xlsx 文件导入题库（与后台“导入”同一套规则）。填了编号的行按编号更新试题（已有作答的保存为新版本）；"
        "没填编号的行，同一法律下题干相同的题目视为已在题库中，不修改；有错误行时不导入任何试题，退出码为 1。"
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="题库文件（.xlsx）")
        parser.add_argument("--sheet", help="工作表名称（默认第一个）")
        parser.add_argument("--dry-run", action="store_true", help="只检查、预览，不写入")
        parser.add_argument(
            "--json",
            action="store_true",
            help='输出一个 JSON 对象：{"new": n, "updated": n, "unchanged": n, "errors": [...]}',
        )

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        kwargs = {"data": path.read_bytes(), "filename": path.name, "sheet": options["sheet"]}
        try:
            report = questions_preview(**kwargs) if options["dry_run"] else questions_commit(**kwargs)
        except QuestionImportHasErrors as refused:
            report = refused.report
        except WorkbookRefused as error:
            result = {
                "new": 0,
                "updated": 0,
                "unchanged": 0,
                "errors": [{"row": None, "column": "", "message": str(error)}],
            }
            self._print(result, options["json"], dry_run=options["dry_run"])
            raise SystemExit(1) from error
        result = report.as_dict()
        self._print(result, options["json"], dry_run=options["dry_run"], committed=report.committed)
        if result["errors"]:
            raise SystemExit(1)

    def _print(self, result, as_json, *, dry_run, committed=False):
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(
            f"新增 {result['new']} 题，修改 {result['updated']} 题，已在题库中（未变）{result['unchanged']} 题，"
            f"错误 {len(result['errors'])} 处。"
        )
        for error in result["errors"]:
            where = f"第{error['row']}行" if error["row"] else "文件"
            column = f"【{error['column']}】" if error["column"] else ""
            self.stdout.write(f"  {where}{column}：{error['message']}")
        if result["errors"]:
            self.stdout.write("有错误，未导入任何试题。请修改后重新导入。")
        elif dry_run:
            self.stdout.write("预览完成（--dry-run），未写入。")
        elif committed and not result["new"] and not result["updated"]:
            self.stdout.write("文件中的题目均已在题库中，没有需要写入的内容。")
        else:
            self.stdout.write("导入完成。")
