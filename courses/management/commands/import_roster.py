import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from accounts.models import User
from common.excel import WorkbookRefused
from courses.models import Programme
from courses.roster import RosterHasErrors, roster_commit, roster_preview


class Command(BaseCommand):
    help = "从 .xlsx 名单导入教师并报名到培训项目（与组织者页面、后台、API 同一套规则）。有错误行时不导入任何数据。"

    def add_arguments(self, parser):
        parser.add_argument("path", help="名单文件（.xlsx）")
        parser.add_argument("--programme", required=True, help="项目编号，如 FZ2021-0914")
        parser.add_argument("--sheet", help="工作表名称（默认第一个）")
        parser.add_argument("--dry-run", action="store_true", help="只检查、预览，不写入")
        parser.add_argument("--json", action="store_true", help="输出一个 JSON 对象")
        parser.add_argument("--as-user", default=None, help="以哪个账号的身份导入（默认第一个超级管理员）")

    def handle(self, *args, **options):
        path = Path(options["path"])
        if not path.is_file():
            raise CommandError(f"找不到文件：{path}")
        programme = Programme.objects.filter(code=options["programme"].strip().upper()).first()
        if programme is None:
            raise CommandError(f"没有编号为 {options['programme']} 的培训项目。")
        actor = self._actor(options["as_user"])
        data = path.read_bytes()
        kwargs = {
            "actor": actor,
            "programme": programme,
            "data": data,
            "filename": path.name,
            "sheet": options["sheet"],
        }
        progress = self.stdout.write if options["verbosity"] >= 2 and not options["json"] else None
        try:
            report = roster_preview(**kwargs) if options["dry_run"] else roster_commit(**kwargs, progress=progress)
        except RosterHasErrors as refused:
            report = refused.report
        except WorkbookRefused as error:
            result = {
                "new": 0,
                "updated": 0,
                "unchanged": 0,
                "errors": [{"row": None, "column": "", "message": str(error)}],
                "notices": [],
            }
            self._print(result, options["json"], dry_run=options["dry_run"])
            raise SystemExit(1) from error
        result = report.as_dict()
        self._print(result, options["json"], dry_run=options["dry_run"], committed=report.committed)
        if result["errors"]:
            raise SystemExit(1)

    def _actor(self, username):
        users = User.objects.filter(is_superuser=True, is_active=True)
        if username:
            users = User.objects.filter(username=username, is_active=True)
        actor = users.order_by("id").first()
        if actor is None:
            raise CommandError("没有可用的导入账号：请用 --as-user 指定组织者用户名，或先创建超级管理员。")
        return actor

    def _print(self, result, as_json, *, dry_run, committed=False):
        if as_json:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
            return
        self.stdout.write(
            f"新增 {result['new']} 人，更新 {result['updated']} 人，未变 {result['unchanged']} 人，错误 {len(result['errors'])} 处。"
        )
        for notice in result["notices"]:
            self.stdout.write(f"  提示：{notice}")
        for error in result["errors"]:
            where = f"第{error['row']}行" if error["row"] else "文件"
            column = f"【{error['column']}】" if error["column"] else ""
            self.stdout.write(f"  {where}{column}：{error['message']}")
        if result["errors"]:
            self.stdout.write("有错误，未导入任何数据。请修改后重新导入。")
        elif dry_run:
            self.stdout.write("预览完成（--dry-run），未写入。")
        elif committed and not result["new"] and not result["updated"]:
            self.stdout.write("名单与系统中的数据一致，没有需要写入的内容。")
        else:
            self.stdout.write("导入完成。")
