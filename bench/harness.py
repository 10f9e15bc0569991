"""What the benchmarks in bench/ share: a throwaway PostgreSQL cluster, gunicorn with the production
settings, CPU accounting from /proc, an http.client client, a bounded load runner with the /healthz
ceiling, latency percentiles, Django set-up (production settings for the load benchmarks, base settings
for the in-process ones) and the common data (teachers, the organiser, enrolments, signed-in sessions).

The scripts import it from their own folder (`from harness import ...`); it imports Django only inside
functions, after the script has set Django up.
"""

import contextlib
import http.client
import io
import json
import os
import pstats
import random
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

PROJECT = Path(__file__).resolve().parent.parent
PG_BIN = Path("/usr/lib/postgresql/15/bin")
HOST = "127.0.0.1"
PASSWORD = "Bench-Xuchang-2026"
USER_AGENT = (
    "Mozilla/5.0 (Linux; Android 13; V2238A) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/107.0.5304.141 Mobile Safari/537.36 MicroMessenger/8.0.43"
)
CLK_TCK = os.sysconf("SC_CLK_TCK")


def log(message: str) -> None:
    """Progress on stderr: stdout holds the table and the JSON line."""
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- processes


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


class Postgres:
    """A throwaway PostgreSQL 15 cluster listening on 127.0.0.1 only; `options` adds server settings (-c ...)."""

    def __init__(self, name: str, options: str = ""):
        self.dir = Path(tempfile.mkdtemp(prefix=f"{name}-bench-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.options = options
        self.started = False

    def start(self) -> str:
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        run = {"check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE}
        subprocess.run(
            as_postgres([str(PG_BIN / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres"]), **run
        )
        options = f"-p {self.port} -k {self.data} -c listen_addresses={HOST} {self.options}".rstrip()
        command = [str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-o", options, "-l", str(self.dir / "log")]
        subprocess.run(as_postgres([*command, "-w", "start"]), **run)
        self.started = True
        subprocess.run(
            as_postgres([str(PG_BIN / "createdb"), "-h", HOST, "-p", str(self.port), "-U", "postgres", "bench"]), **run
        )
        return f"postgres://postgres@{HOST}:{self.port}/bench"

    def pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def stop(self) -> None:
        if self.started:
            subprocess.run(
                as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop"]),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                check=False,
            )
            self.started = False
        shutil.rmtree(self.dir, ignore_errors=True)


def database_url(postgres: Postgres | None) -> str:
    """The throwaway cluster's URL (starting it), else DATABASE_URL, which must name PostgreSQL."""
    url = postgres.start() if postgres else os.environ["DATABASE_URL"]
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("DATABASE_URL must be a PostgreSQL URL (postgres://…).")
    return url


def add_gunicorn_arguments(parser) -> None:
    parser.add_argument("--workers", type=int, default=5)
    parser.add_argument("--worker-class", choices=["sync", "gthread"], default="sync")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker with gthread")


def gunicorn_workers(args) -> str:
    """The server as the tables name it: "5 sync workers", "3 gthread workers x 4 threads"."""
    threads = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    return f"{args.workers} {args.worker_class} workers{threads}"


def gunicorn_figures(args) -> dict:
    threads = args.threads if args.worker_class == "gthread" else 1
    return {"workers": args.workers, "worker_class": args.worker_class, "threads": threads}


class Gunicorn:
    """training_site.wsgi under gunicorn on 127.0.0.1 (--workers, --worker-class, --threads), logging to folder."""

    def __init__(self, *, env: dict, args, folder: Path):
        self.port = free_port()
        self.log_path = folder / "gunicorn.log"
        self.command = [
            str(PROJECT / ".venv" / "bin" / "gunicorn"),
            "training_site.wsgi",
            "--bind",
            f"{HOST}:{self.port}",
            "--workers",
            str(args.workers),
            "--worker-class",
            args.worker_class,
            "--backlog",
            "2048",
            "--log-level",
            "warning",
        ]
        if args.worker_class == "gthread":
            self.command += ["--threads", str(args.threads)]
        self.env = env
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(self.command, cwd=PROJECT, env=self.env, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited at start-up:\n{self.log_path.read_text()[-3000:]}")
            try:
                connection = http.client.HTTPConnection(HOST, self.port, timeout=2)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    log(f"gunicorn on http://{HOST}:{self.port} ({' '.join(self.command[1:])})")
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError("gunicorn did not answer /healthz within 60 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class TaskWorker:
    """A worker of the Tasks API beside gunicorn, as production runs it: `manage.py db_worker` (the
    database backend, the default) or, with TASKS_BACKEND=rq in env, `manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler`."""

    def __init__(self, *, env: dict, folder: Path, name: str = "worker"):
        self.name = name
        self.log_path = folder / f"{name}.log"
        manage = [str(PROJECT / ".venv" / "bin" / "python"), "manage.py"]
        if env.get("TASKS_BACKEND") == "rq":
            self.command = [
                *manage,
                "rqworker",
                "--job-class",
                "django_tasks_rq.Job",
                "--with-scheduler",
                "--name",
                f"{name}-{secrets.token_hex(4)}",
                "default",
            ]
        else:
            self.command = [*manage, "db_worker", "--no-reload", "--no-startup-delay", "--interval", "1",
                            "--worker-id", name, "--verbosity", "0"]  # fmt: skip
        self.env = env
        self.process: subprocess.Popen | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def start(self) -> None:
        with self.log_path.open("ab") as out:
            self.process = subprocess.Popen(self.command, cwd=PROJECT, env=self.env, stdout=out, stderr=out)
        time.sleep(0.5)
        if self.process.poll() is not None:
            raise RuntimeError(f"{self.name} exited at start-up:\n{self.log_path.read_text()[-3000:]}")
        log(f"{self.name}: {' '.join(self.command[1:])} (pid {self.process.pid})")

    def kill(self) -> None:
        """SIGKILL: the worker dies mid-task, as on a crash or the OOM killer — with its children (rqworker
        runs each job in a forked work horse, which would otherwise finish the job on its own)."""
        if self.process and self.process.poll() is None:
            children = _children(self.process.pid)
            self.process.send_signal(signal.SIGKILL)
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()


def stop_all(server: Gunicorn | None, postgres: Postgres | None, folder: Path, workers=()) -> None:
    for worker in workers:
        worker.stop()
    if server:
        server.stop()
    if postgres:
        postgres.stop()
    if not os.environ.get("BENCH_KEEP"):
        shutil.rmtree(folder, ignore_errors=True)


# --------------------------------------------------------------------------- CPU accounting from /proc


def stat_fields(pid: int) -> list[str] | None:
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text.rsplit(")", 1)[1].split()  # fields from "state" (field 3) on


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name))
            if fields and int(fields[1]) == pid:
                found.append(int(entry.name))
    return found


def tree_cpu_seconds(pid: int | None) -> float:
    """CPU of a server process, its live children and its reaped children (cutime/cstime)."""
    if not pid:
        return 0.0
    fields = stat_fields(pid)
    if not fields:
        return 0.0
    ticks = sum(int(value) for value in fields[11:15])  # utime stime cutime cstime
    for child in _children(pid):
        child_fields = stat_fields(child)
        if child_fields:
            ticks += int(child_fields[11]) + int(child_fields[12])
    return ticks / CLK_TCK


def machine_busy_ticks() -> tuple[int, int]:
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


class CpuMeter:
    def __init__(self, gunicorn_pid: int | tuple | None, postgres_pid: int | None, worker_pids: tuple = ()):
        """gunicorn_pid: one server's master, or a tuple of several servers' masters (bench/multinode.py)."""
        self.gunicorn_pids = gunicorn_pid if isinstance(gunicorn_pid, tuple) else (gunicorn_pid,)
        self.pids = {"gunicorn": self.gunicorn_pids[0], "postgres": postgres_pid}
        self.worker_pids = worker_pids

    def snapshot(self) -> dict:
        busy, total = machine_busy_ticks()
        return {
            "client": time.process_time(),
            "gunicorn": sum(tree_cpu_seconds(pid) for pid in self.gunicorn_pids),
            "postgres": tree_cpu_seconds(self.pids["postgres"]),
            "worker": sum(tree_cpu_seconds(pid) for pid in self.worker_pids),
            "busy": busy,
            "total": total,
        }

    @staticmethod
    def delta(before: dict, after: dict) -> dict:
        total = max(1, after["total"] - before["total"])
        ours = sum(after[key] - before[key] for key in ("client", "gunicorn", "postgres", "worker"))
        busy = (after["busy"] - before["busy"]) / CLK_TCK
        return {
            "client_cpu_s": after["client"] - before["client"],
            "gunicorn_cpu_s": after["gunicorn"] - before["gunicorn"],
            "postgres_cpu_s": after["postgres"] - before["postgres"],
            "worker_cpu_s": after["worker"] - before["worker"],
            "machine_busy_pct": 100.0 * (after["busy"] - before["busy"]) / total,
            # CPU of processes that are not part of the benchmark (other work sharing the machine)
            "others_pct": max(0.0, 100.0 * (busy - ours) / (total / CLK_TCK)),
        }


def wait_for_quiet(*, threshold_pct: float, max_wait: float, interval: float = 1.0) -> float:
    """Wait until the machine is mostly idle (other jobs may share it); returns the last busy % seen."""
    deadline = time.monotonic() + max_wait
    while True:
        busy0, total0 = machine_busy_ticks()
        time.sleep(interval)
        busy1, total1 = machine_busy_ticks()
        busy = 100.0 * (busy1 - busy0) / max(1, total1 - total0)
        if busy <= threshold_pct or time.monotonic() >= deadline:
            if busy > threshold_pct:
                log(f"  the machine is still {busy:.0f}% busy with other work; measuring anyway")
            return busy


# --------------------------------------------------------------------------- Django set-up


def production_env(folder: Path, name: str, url: str, conn_max_age: int | None, extra_settings: str = "") -> dict:
    """The environment of gunicorn and of this process: the production settings with STATIC_ROOT in the
    temporary folder (collectstatic must not touch the project), plain http on loopback, the database URL."""
    (folder / f"{name}_bench_settings.py").write_text(
        "from training_site.settings.production import *  # noqa: F403\n\n"
        f"STATIC_ROOT = {str(folder / 'static')!r}\n{extra_settings}",
        encoding="utf-8",
    )
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": f"{name}_bench_settings",
        "PYTHONPATH": os.pathsep.join([str(folder), str(PROJECT)]),
        "SECRET_KEY": secrets.token_urlsafe(48),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "false",
        "DATABASE_URL": url,
        **({"CONN_MAX_AGE": str(conn_max_age)} if conn_max_age is not None else {}),
        "LOG_LEVEL": "WARNING",
    }


@contextlib.contextmanager
def production_stack(name: str, args, postgres: Postgres | None):
    """Django in this process, gunicorn and one task worker (db_worker), all with the production settings and
    a temporary folder, on the throwaway cluster (started here) or DATABASE_URL; yields (gunicorn, CpuMeter)
    and stops it all on exit. The worker runs the automatic issue the check-ins and quizzes enqueue."""
    folder = Path(tempfile.mkdtemp(prefix=f"{name}-bench-"))
    server = None
    worker = None
    try:
        env = production_env(folder, name, database_url(postgres), args.conn_max_age)
        log(f"database {env['DATABASE_URL']}; migrating and collecting static files into {folder} ...")
        setup_production_django(env, folder)
        server = Gunicorn(env=env, args=args, folder=folder)
        server.start()
        worker = TaskWorker(env=env, folder=folder)
        worker.start()
        STACK_WORKERS[:] = [worker]
        yield server, CpuMeter(server.process.pid, postgres.pid() if postgres else None, (worker.pid,))
    finally:
        stop_all(server, postgres, folder, [worker] if worker else [])


def setup_production_django(env: dict, folder: Path) -> None:
    os.environ.update(env)
    sys.path[:0] = [str(PROJECT), str(folder)]
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)  # production's cache is a database table without REDIS_URL
    call_command("collectstatic", interactive=False, verbosity=0)


def effective_conn_max_age():
    from django.conf import settings

    return settings.DATABASES["default"].get("CONN_MAX_AGE")


def setup_base_django() -> None:
    """training_site.settings.base with DEBUG off (as in production) on DATABASE_URL, set up and migrated."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "training_site.settings.base"
    os.environ["DEBUG"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)


def setup_throwaway_django(prefix: str) -> tuple[str, Path | None]:
    """setup_base_django on DATABASE_URL or, without one, on a fresh SQLite file in a temporary folder
    (never the project's db.sqlite3); refuses a database that holds users. Returns (vendor, temp folder)."""
    temp_dir = None
    url = os.environ.get("DATABASE_URL", "")
    if not url:
        temp_dir = Path(tempfile.mkdtemp(prefix=prefix))
        os.environ["DATABASE_URL"] = f"sqlite:///{temp_dir / 'bench.sqlite3'}"
    elif url.startswith("sqlite") and Path(url.split(":///", 1)[-1]).resolve() == PROJECT / "db.sqlite3":
        sys.exit("Refusing to benchmark on the project's db.sqlite3; give a throwaway DATABASE_URL or none.")
    setup_base_django()
    from django.db import connection

    from accounts.models import User

    if User.objects.exists():
        sys.exit(
            f"The database {connection.settings_dict['NAME']} already holds users; the benchmark flushes its "
            "database, so it must be a throwaway one (empty it or point DATABASE_URL elsewhere)."
        )
    return connection.vendor, temp_dir


# --------------------------------------------------------------------------- data


def make_people(count: int, seed: int) -> list[dict]:
    """Teacher records with valid, unique ID numbers and mobiles across Xuchang's districts."""
    from courses.demo import DISTRICTS, GIVEN, SUBJECTS, SURNAMES, TITLES, make_id_number, make_mobile

    rng = random.Random(seed)
    ids: set[str] = set()
    mobiles: set[str] = set()
    weights = [share for _d, _r, share, _s in DISTRICTS]
    people = []
    for _ in range(count):
        district, region, _share, schools = rng.choices(DISTRICTS, weights=weights)[0]
        people.append(
            {
                "name": rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2)))),
                "id_number": make_id_number(rng, region, ids),
                "mobile": make_mobile(rng, mobiles),
                "school": rng.choice(schools),
                "district": district,
                "subject": rng.choice(SUBJECTS),
                "title": rng.choice(TITLES),
            }
        )
    return people


def create_organiser():
    """The organising unit 许昌市教育局政策法规科 and its organiser, bench-organiser."""
    from accounts.models import OrganisingUnit, Role, User

    unit = OrganisingUnit.objects.create(name="许昌市教育局政策法规科", short_name="政策法规科")
    return User.objects.create_user(
        "bench-organiser", None, name="基准测试组织者", role=Role.ORGANISER, unit=unit, is_staff=True
    )


def create_teachers(people: list[dict], password_hash: str | None = None) -> list[int]:
    """The teachers (accounts.services.teachers_bulk_create), with one password hash assigned to all in one
    UPDATE when given; returns their pks in the order of people."""
    from accounts.models import User
    from accounts.services import teachers_bulk_create

    created = teachers_bulk_create(records=people)
    pks = [created[person["id_number"]] for person in people]
    if password_hash:
        User.objects.filter(pk__in=pks).update(password=password_hash)  # one hash, computed once
    return pks


def enrol(programme, teacher_ids: list[int]) -> None:
    """Enrolments inserted in bulk and announced as the roster import does (the dashboard's facts follow)."""
    from courses.models import Enrolment, EnrolmentSource
    from courses.signals import enrolments_bulk_created

    Enrolment.objects.bulk_create(
        [Enrolment(programme=programme, teacher_id=pk, source=EnrolmentSource.IMPORT) for pk in teacher_ids],
        batch_size=1000,
    )
    enrolments_bulk_created.send(
        sender=Enrolment,
        programme_id=programme.pk,
        teacher_ids=teacher_ids,
        reactivated_ids=[],
        changed_teacher_ids=[],
    )


def mark_attended(session, teacher_ids: list[int]) -> None:
    """A present QR check-in to the session for each teacher, 5 minutes before its start, inserted in bulk."""
    from attendance.models import CheckIn, Method, Status

    CheckIn.objects.bulk_create(
        [
            CheckIn(
                session=session,
                teacher_id=pk,
                status=Status.PRESENT,
                method=Method.QR,
                checked_in_at=session.starts_at - timedelta(minutes=5),
            )
            for pk in teacher_ids
        ],
        batch_size=1000,
    )


def create_sessions(teacher_pks: list[int]) -> dict[int, str]:
    """One real signed-in Django session per teacher, written in bulk; returns {teacher pk: session key}."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.contrib.sessions.models import Session as DjangoSession
    from django.utils import timezone
    from django.utils.crypto import get_random_string

    from accounts.models import User

    store = SessionStore()
    users = {user.pk: user for user in User.objects.filter(pk__in=teacher_pks)}
    expires = timezone.now() + timedelta(seconds=store.get_expiry_age())
    keys, rows = {}, []
    alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
    for pk in teacher_pks:
        key = get_random_string(32, alphabet)
        data = {
            SESSION_KEY: str(pk),
            BACKEND_SESSION_KEY: "accounts.backends.IdentifierBackend",
            HASH_SESSION_KEY: users[pk].get_session_auth_hash(),
        }
        rows.append(DjangoSession(session_key=key, session_data=store.encode(data), expire_date=expires))
        keys[pk] = key
    DjangoSession.objects.bulk_create(rows, batch_size=1000)
    return keys


# --------------------------------------------------------------------------- the client


class Connection:
    """One HTTP/1.1 connection (kept alive when the server allows it) for one client thread."""

    def __init__(self, port: int, timeout: float = 60):
        self.port = port
        self.timeout = timeout
        self.connection: http.client.HTTPConnection | None = None

    def request(self, method: str, path: str, headers: dict, body: bytes | None = None):
        if self.connection is None:
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            self.connection.request(method, path, body=body, headers={"User-Agent": USER_AGENT, **headers})
            response = self.connection.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.close()
            raise
        if response.will_close:
            self.close()
        return response.status, response.headers, data

    def post_json(self, path: str, headers: dict, payload: dict | None = None) -> tuple[int, dict | None, float]:
        """POST a JSON body; returns (status, decoded body or None, milliseconds)."""
        body = json.dumps(payload or {}).encode()
        started = time.perf_counter()
        status, _, data = self.request(
            "POST", path, {**headers, "Content-Type": "application/json", "Accept": "application/json"}, body
        )
        elapsed = (time.perf_counter() - started) * 1000
        try:
            decoded = json.loads(data) if data else None
        except ValueError:
            decoded = None
        return status, decoded, elapsed

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Client:
    """A Connection per thread, shared by the threads of a load (30 s timeout)."""

    def __init__(self, port: int, timeout: float = 30):
        self.port = port
        self.timeout = timeout
        self.local = threading.local()

    def request(self, method: str, path: str, headers: dict, body: bytes | None = None):
        connection = getattr(self.local, "connection", None)
        if connection is None:
            connection = self.local.connection = Connection(self.port, self.timeout)
        return connection.request(method, path, headers, body)

    def close(self) -> None:
        connection = getattr(self.local, "connection", None)
        if connection is not None:
            connection.close()


def cookie_value(headers, name: str) -> str | None:
    for header in headers.get_all("Set-Cookie") or []:
        if header.startswith(f"{name}="):
            return header.split(";", 1)[0].split("=", 1)[1]
    return None


def sign_in(client: Connection | Client, mobile: str) -> str | None:
    """A real sign-in through /accounts/login/ with the benchmark password; returns the session key, or None."""
    status, headers, body = client.request("GET", "/accounts/login/", {})
    csrf = cookie_value(headers, "csrftoken")
    form_token = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or not csrf or not form_token:
        return None
    form = urlencode({"csrfmiddlewaretoken": form_token.group(1).decode(), "username": mobile, "password": PASSWORD})
    status, headers, _ = client.request(
        "POST",
        "/accounts/login/",
        {"Cookie": f"csrftoken={csrf}", "Content-Type": "application/x-www-form-urlencoded"},
        form.encode(),
    )
    session = cookie_value(headers, "sessionid")
    return session if status == 302 and session else None


# --------------------------------------------------------------------------- load and figures


def run_load(items, work, *, concurrency: int, time_limit: float) -> tuple[list, float]:
    """Run work(item) over items with at most `concurrency` in flight and a hard deadline.

    Returns the results (in completion order) and the elapsed wall time from the start to the last answer.
    """
    iterator = iter(items)
    lock = threading.Lock()
    results: list = []
    start_gate = threading.Barrier(concurrency + 1)
    deadline = [0.0]
    finished_at = [0.0]

    def worker():
        start_gate.wait()
        while time.perf_counter() < deadline[0]:
            with lock:
                item = next(iterator, None)
            if item is None:
                break
            outcome = work(item)
            with lock:
                results.append(outcome)
                finished_at[0] = time.perf_counter()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + time_limit
    start_gate.wait()
    for thread in threads:
        thread.join(timeout=time_limit + 60)
    return results, max(finished_at[0] - started, 1e-9)


def ceiling_phase(
    port: int, *, requests: int, concurrency: int, time_limit: float, meter: CpuMeter, timeout: float = 30
) -> dict:
    """GET /healthz (one SELECT 1) with `concurrency` in flight: the server's rate for a near-empty request."""
    client = Client(port, timeout)

    def work(_item):
        started = time.perf_counter()
        try:
            status, _, _ = client.request("GET", "/healthz", {})
        except (OSError, http.client.HTTPException):
            return None
        return (time.perf_counter() - started) * 1000 if status == 200 else None

    before = meter.snapshot()
    results, elapsed = run_load(range(requests), work, concurrency=concurrency, time_limit=time_limit)
    cpu = CpuMeter.delta(before, meter.snapshot())
    client.close()
    latencies = [value for value in results if value is not None]
    return {
        "requests": len(latencies),
        "errors": len(results) - len(latencies),
        "rps": len(latencies) / elapsed,
        "elapsed_s": elapsed,
        **latency_summary(latencies),
        **cpu,
    }


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * p // 100))
    return ordered[int(rank) - 1]


def latency_summary(values: list[float]) -> dict:
    return {
        "p50_ms": percentile(values, 50),
        "p95_ms": percentile(values, 95),
        "p99_ms": percentile(values, 99),
        "max_ms": max(values) if values else float("nan"),
    }


def undisturbed(phases: list[dict], max_others: float) -> list[dict]:
    """The phases in which other processes used less than max_others % of the machine; all of them if none."""
    return [phase for phase in phases if phase["others_pct"] < max_others] or phases


def cpu_ms_per(run: dict, count: int) -> str:
    """CPU ms per item of gunicorn / PostgreSQL / the task worker / this client, as the tables show it."""
    per = max(1, count)
    return "/".join(
        f"{1000 * run.get(key, 0.0) / per:.1f}"
        for key in ("gunicorn_cpu_s", "postgres_cpu_s", "worker_cpu_s", "client_cpu_s")
    )


def fmt_ms(value: float) -> str:
    return f"{value:.0f}" if value == value else "-"


def no_nan(value):
    """NaN (no sample) as null, so that the last line is strict JSON."""
    if isinstance(value, dict):
        return {key: no_nan(item) for key, item in value.items()}
    if isinstance(value, float) and value != value:
        return None
    return value


def profile_listing(profiler, order: str, top: int) -> str:
    """The first `top` rows of a cProfile by `order`, without pstats' preamble."""
    stream = io.StringIO()
    pstats.Stats(profiler, stream=stream).strip_dirs().sort_stats(order).print_stats(top)
    return "\n".join(stream.getvalue().splitlines()[6:])


def print_profile(profiler, title: str, top: int) -> None:
    for order in ("cumulative", "tottime"):
        print(f"\n--- cProfile of {title}, top {top} by {order}")
        pstats.Stats(profiler, stream=sys.stdout).strip_dirs().sort_stats(order).print_stats(top)


STACK_WORKERS: list[TaskWorker] = []  # production_stack's task worker, checked after every run


def workers_alive_check() -> None:
    """A run whose worker has died would report missing certificates for a reason that is not the code's:
    say so, with the worker's log, and stop the benchmark."""
    for worker in STACK_WORKERS:
        if worker.process and worker.process.poll() is not None:
            raise RuntimeError(
                f"the task worker {worker.name} exited ({worker.process.returncode}):\n"
                + worker.log_path.read_text(errors="replace")[-3000:]
            )


def wait_for_automatic_issue(limit_s: float = 60.0) -> float:
    """The automatic issue runs in batches as tasks on the worker after commit: wait until no completion
    is waiting (at most limit_s), so certificates are checked once all are issued. Returns the seconds
    waited."""
    from certificates.models import PendingIssue

    started = time.perf_counter()
    while PendingIssue.objects.exists() and time.perf_counter() - started < limit_s:
        time.sleep(0.05)
    waited = time.perf_counter() - started
    wait_for_tasks_idle(max(1.0, limit_s - waited))
    workers_alive_check()
    return waited


def wait_for_tasks_idle(limit_s: float = 30.0) -> None:
    """Until no task of the database backend is waiting or running (at most limit_s): the caller flushes or
    stops the database next, and a task whose row vanishes under it cannot record its end — django-tasks-db's
    worker then stops (found when a 3,000 run's last automatic-issue tasks met the next run's flush). Tasks
    deferred by the batch delay count as waiting. The RQ backend keeps its queue in Redis: nothing to wait for."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResultStatus, task_backends
    from django_tasks_db import DatabaseBackend

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        time.sleep(0.3)
        return
    from django_tasks_db.models import DBTaskResult

    started = time.perf_counter()
    busy = [TaskResultStatus.READY, TaskResultStatus.RUNNING]
    while DBTaskResult.objects.filter(status__in=busy).exists() and time.perf_counter() - started < limit_s:
        time.sleep(0.05)
    time.sleep(0.2)  # the worker records the last task's end after its work commits
