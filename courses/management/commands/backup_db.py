import shutil
import sqlite3
import subprocess
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connection


class Command(BaseCommand):
    help = (
        "备份数据库到文件：PostgreSQL 用 pg_dump 自定义格式（用 pg_restore 恢复），"
        "SQLite 用在线备份接口生成一个完整的数据库文件（恢复即替换 db.sqlite3）。"
    )

    def add_arguments(self, parser):
        parser.add_argument("output", help="备份文件路径")

    def handle(self, *args, **options):
        output = Path(options["output"])
        output.parent.mkdir(parents=True, exist_ok=True)
        settings = connection.settings_dict
        if connection.vendor == "postgresql":
            pg_dump = shutil.which("pg_dump")
            if not pg_dump:
                raise CommandError("找不到 pg_dump：请安装 PostgreSQL 客户端（apt-get install postgresql-client）。")
            env = {"PGPASSWORD": settings.get("PASSWORD") or ""}
            command = [pg_dump, "-Fc", "--no-owner", "-h", settings["HOST"] or "localhost", "-p", str(settings["PORT"] or 5432),
                       "-U", settings["USER"], "-f", str(output), settings["NAME"]]  # fmt: skip
            result = subprocess.run(command, env={**env, "PATH": "/usr/bin:/bin"}, capture_output=True, text=True)
            if result.returncode != 0:
                raise CommandError(f"pg_dump 失败：{result.stderr.strip()}")
        elif connection.vendor == "sqlite":
            connection.ensure_connection()
            target = sqlite3.connect(output)
            with target:
                connection.connection.backup(target)
            target.close()
        else:
            raise CommandError(f"不支持的数据库：{connection.vendor}")
        self.stdout.write(f"已备份到 {output}（{output.stat().st_size // 1024} KB）")
