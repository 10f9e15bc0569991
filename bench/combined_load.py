"""Combined load: a lecture-hall check-in rush, a quiz hour and the bureau's dashboard, all at once.

The acceptance item of the hardening issue: the three busiest things the site does, at the same time,
on one gunicorn sized for 2 cores and PostgreSQL, with nothing lost. Everything runs on this machine
over loopback (127.0.0.1 only), bounded in count (the numbers below) and in time (--time-limit):

  check-in rush   --checkins (500) signed-in teachers check in to ONE session of a lecture programme,
                  arriving over --rush-seconds (45 s; triangular arrival curve, peak at a third of it):
                  GET /a/<token>/ (302) then GET /attendance/complete/ (200, 签到成功), the token made by
                  attendance.tokens.make_token at the moment of the scan, a real Django session per
                  teacher; every teacher has a phone (open arrivals: a slow server makes a queue, not
                  fewer arrivals; --checkin-concurrency N caps phones in flight), a phone gives up after
                  30 s (a connection failure). "from arrival" is the wait from the scheduled scan to
                  签到成功. Every --again-every'th (25th) teacher scans a second time right after (must
                  answer 已签到). The lecture has one session and no quiz, so each check-in completes it:
                  the certificate is issued inside the check-in request (the default completion rule).
  quiz hour       --quiz-teachers (150) teachers, one thread each, starting over --quiz-ramp (10 s):
                  POST /api/quizzes/{id}/start/ (201, 20 questions), 20 x POST /api/attempts/{id}/answer/
                  with a pause of 0.5-1.5 x --think-ms (2,000 ms) before each, then POST
                  /api/attempts/{id}/submit/; DRF token auth (rest_framework.authtoken). Answers are right
                  with probability --accuracy (0.85; the client reads the key from the database before
                  the run), so most pass and the submit issues a certificate too (the programme's one
                  session was attended yesterday). Every --double-submit-every'th teacher submits twice
                  at the same instant from two connections (a double tap): both answers must be the same.
  dashboard       --readers (3) bureau users in a loop: GET /reports/?year=Y, GET /api/reports/summary/?year=Y,
                  pause --reader-pause-ms (1,000 ms); until the rush and the quiz are over.

Set-up, not measured: a throwaway PostgreSQL 15 (bench/quiz_load.py's Postgres: initdb in a temporary
folder, run as the postgres user via runuser when root, listen_addresses=127.0.0.1, max_connections=300),
unless DATABASE_URL is given; gunicorn training_site.wsgi (bench/harness.py's Gunicorn: --workers 5
sync by default = 2 x cores + 1) with training_site.settings.production, SECRET_KEY of 64 characters,
ALLOWED_HOSTS=127.0.0.1, SECURE_SSL_REDIRECT=false (plain http on loopback, as behind the TLS proxy),
STATIC_ROOT in the temporary folder (collectstatic there; a source map that a vendored file names but
the project lacks is stubbed there too, and reported, since the hashed storage refuses to run without it),
the cache in the database table (`manage.py createcachetable`), CONN_MAX_AGE from --conn-max-age (0, the
project default; README gives 60 for production servers). Data: `manage.py seed_exams --no-demo-quizzes` (the bank), --teachers
(3,000) teachers (accounts.services.teachers_bulk_create, one password hashed once and set in one UPDATE);
the year so far: --past-programmes (6) finished programmes of this year (courses.services), each with
two sessions and --year-share (45%) of the teachers enrolled, attendance and quiz results as
`seed_activity` makes them (attendance.demo, exams.demo) and certificates issued in bulk
(certificates.services.certificates_issue_completed); then the live lecture, the live quiz programme
and a warm-up programme; sessions and tokens in bulk (bench/harness.py create_sessions,
bench/quiz_load.py token_headers); the dashboard's facts table rebuilt once after the bulk inserts
(reports.facts.facts_refresh, as seed_activity does; skipped if the project has none). A warm-up (check-ins, a quiz, dashboard reads on the warm-up
programme) loads every worker before the measured phase.

Verified afterwards, from the database: every teacher told 签到成功 holds exactly one CheckIn (nobody
else does); every teacher whose submit answered "submitted" holds exactly one attempt, submitted, score
set and equal to the key, submitted_at equal to the first answer (bench/quiz_load.py database_check);
every teacher who completed the lecture or passed the quiz holds exactly one certificate; the year's
serials are 1..N without gap or repeat; the dashboard's figures for the year (reports.selectors.summary,
read from the facts table) equal the same figures computed from the records (reports.summary_direct).
No 5xx, no connection failure, no unexpected answer. The commit and changed files measured are printed.

Run it from the project folder (as root, or as a user who can run initdb); 1.5-3.5 minutes, set-up included
(plus up to --quiet-wait seconds waiting for other work on the machine to calm down):

    .venv/bin/python bench/combined_load.py
    .venv/bin/python bench/combined_load.py --conn-max-age 60 --quiz-teachers 200
    .venv/bin/python bench/combined_load.py --conn-max-age 60 --worker-class gthread --workers 3 --threads 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/combined_load.py

A DATABASE_URL must name a THROWAWAY database: the script migrates and flushes it. A readable table,
then the last line: one JSON object with the figures (per operation count, errors, p50/p95/p99 and
rate; throughput; `lost` counts, which must all be 0; "ok" true when nothing errored, was lost or was
left undone). The script reuses functions of bench/harness.py, bench/checkin_load.py and
bench/quiz_load.py (imported).
"""

import argparse
import http.client
import io
import json
import os
import random
import re
import signal
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import checkin_load as ck  # bench/checkin_load.py: the check-in client and its checks
import quiz_load as qz  # bench/quiz_load.py: PostgreSQL with lock logging, tokens, submits, the quiz checks
from harness import (
    PASSWORD,
    PROJECT,
    Client,
    Connection,
    CpuMeter,
    Gunicorn,
    add_gunicorn_arguments,
    create_organiser,
    create_sessions,
    create_teachers,
    database_url,
    fmt_ms,
    gunicorn_figures,
    gunicorn_workers,
    latency_summary,
    log,
    make_people,
    mark_attended,
    no_nan,
    percentile,
    production_env,
    setup_production_django,
    stop_all,
    wait_for_automatic_issue,
    wait_for_quiet,
)

ANSWERS = qz.ANSWERS
OPERATIONS = (
    ("checkin", "check-in (scan + complete)"),
    ("checkin_wait", "  from arrival to 签到成功"),
    ("checkin_scan", "  GET /a/<token>/"),
    ("checkin_complete", "  GET /attendance/complete/"),
    ("checkin_again", "second scan (已签到)"),
    ("quiz_start", "POST quizzes/{id}/start/"),
    ("quiz_autosave", "POST attempts/{id}/answer/"),
    ("quiz_submit", "POST attempts/{id}/submit/"),
    ("dashboard_page", "GET /reports/?year=Y"),
    ("dashboard_api", "GET /api/reports/summary/"),
)


# --------------------------------------------------------------------------- recording


class Recorder:
    """Latencies of successful requests and counted failures, per operation; thread-safe."""

    def __init__(self):
        self.lock = threading.Lock()
        self.ms: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, Counter] = defaultdict(Counter)
        self.details: Counter = Counter()
        self.requests = 0

    def ok(self, op: str, ms: float, requests: int = 1) -> None:
        with self.lock:
            self.ms[op].append(ms)
            self.requests += requests

    def error(self, op: str, detail: str, requests: int = 1) -> None:
        kind = classify(detail)
        with self.lock:
            self.errors[op][kind] += 1
            self.details[f"{op}: {detail}"] += 1
            self.requests += requests


def classify(detail: str) -> str:
    """5xx (the server failed), connection (refused, reset, timed out) or unexpected (any other answer)."""
    codes = [int(code) for code in re.findall(r"\b([1-5]\d\d)\b", detail)]
    if any(code >= 500 for code in codes):
        return "5xx"
    if re.search(r"[A-Z]\w*(Error|Disconnected|Timeout|Exception)\b", detail):
        return "connection"
    return "unexpected"


# --------------------------------------------------------------------------- data


def missing_source_maps(folder: Path) -> list[str]:
    """Stub the source maps that vendored files name but the project does not ship.

    The hashed storage (whitenoise's CompressedManifestStaticFilesStorage) follows `sourceMappingURL`
    and fails collectstatic when the map is missing (static/vendor/chartjs/chart.umd.min.js names
    chart.umd.min.js.map). The stubs go to a static folder inside the temporary folder; the project
    is not touched. Returns the stubbed paths (reported by the run).
    """
    stubs = []
    source = PROJECT / "static"
    for path in [*source.rglob("*.js"), *source.rglob("*.css")]:
        found = re.search(rb"sourceMappingURL=([^\s*]+)", path.read_bytes()[-400:])
        if not found:
            continue
        target = path.parent / found.group(1).decode()
        if target.exists():
            continue
        stub = folder / "static-stubs" / target.relative_to(source)
        stub.parent.mkdir(parents=True, exist_ok=True)
        stub.write_text('{"version": 3, "sources": [], "mappings": ""}\n', encoding="utf-8")
        stubs.append(str(target.relative_to(source)))
    return stubs


def aware(day: date, hour: int, minute: int = 0):
    from django.utils import timezone

    return timezone.make_aware(datetime(day.year, day.month, day.day, hour, minute))


def build_year(*, organiser, pks: list[int], args, rng: random.Random) -> dict:
    """Finished programmes of this year with attendance, quiz results and certificates (as seed_activity)."""
    from django.db import transaction
    from django.utils import timezone

    from attendance.demo import seed_programme_attendance
    from certificates.services import certificates_issue_completed
    from courses.models import Enrolment, EnrolmentSource, Kind, Level
    from courses.services import programme_create, session_create
    from exams.demo import seed_quiz_results
    from exams.services import quiz_create

    today = timezone.localdate()
    first, last = date(today.year, 1, 1), today - timedelta(days=9)
    made = {"programmes": 0, "enrolments": 0, "checkins": 0, "attempts": 0, "certificates": 0}
    if last <= first:
        log("  early in the year: no finished programmes of this year are made")
        return made
    levels = [Level.NATIONAL, Level.PROVINCIAL, Level.MUNICIPAL, Level.COUNTY, Level.MUNICIPAL, Level.SCHOOL]
    span = (last - first).days
    for i in range(args.past_programmes):
        day = first + timedelta(days=span * (i + 1) // (args.past_programmes + 1))
        with transaction.atomic():
            programme = programme_create(
                actor=organiser,
                code=f"BG{today.year}-{i + 1:02d}",
                title=f"{today.year}年教师法治教育专题培训（第{i + 1}期）",
                level=levels[i % len(levels)],
                kind=Kind.INTENSIVE,
                start_date=day,
                end_date=day,
                credit_hours=Decimal("6"),
                audience="全市中小学教师",
            )
            for title, start, end in (("上午：宪法与教育法", 9, 11), ("下午：教师法与未成年人保护法", 14, 16)):
                session_create(
                    actor=organiser,
                    programme=programme,
                    title=title,
                    starts_at=aware(day, start),
                    ends_at=aware(day, end),
                )
            chosen = rng.sample(pks, k=int(len(pks) * args.year_share))
            Enrolment.objects.bulk_create(
                [Enrolment(programme=programme, teacher_id=pk, source=EnrolmentSource.IMPORT) for pk in chosen],
                batch_size=1000,
            )
            made["enrolments"] += len(chosen)
            made["checkins"] += seed_programme_attendance(programme=programme, rng=rng)
            if i % 2 == 0:
                quiz = quiz_create(
                    actor=organiser,
                    programme=programme,
                    title=f"{programme.title} 结业测试",
                    **qz.QUESTIONS,
                    time_limit_minutes=30,
                    pass_mark=60,
                    max_attempts=1,
                    opens_at=aware(day, 16, 30),
                    closes_at=aware(day + timedelta(days=7), 23),
                )
                made["attempts"] += seed_quiz_results(quiz=quiz, rng=rng)
            made["certificates"] += certificates_issue_completed(
                programme=programme, actor=None, issued_at=aware(day + timedelta(days=3), 10)
            )
            made["programmes"] += 1
    return made


def build_data(args, password_hash: str) -> dict:
    """Flush; the bank; teachers; the year so far; the live lecture, the live quiz and the warm-up."""
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import Role, User
    from courses.models import Enrolment, EnrolmentSource, Kind, Level
    from courses.services import programme_create, session_create
    from exams.models import Option

    call_command("flush", interactive=False, verbosity=0)
    call_command("seed_exams", "--no-demo-quizzes", verbosity=0, stdout=io.StringIO())
    needed = args.checkins + args.quiz_teachers + args.warmup
    people = make_people(max(args.teachers, needed), seed=20261125)
    rng = random.Random(20261125)
    with transaction.atomic():
        organiser = create_organiser()
        readers = [
            User.objects.create_user(f"bench-bureau-{i + 1}", None, name=f"教育局读者{i + 1}", role=Role.BUREAU)
            for i in range(max(1, args.readers))
        ]
        pks = create_teachers(people, password_hash)
    year = build_year(organiser=organiser, pks=pks, args=args, rng=rng)

    lecture_pks = pks[: args.checkins]
    quiz_pks = pks[args.checkins : args.checkins + args.quiz_teachers]
    warm_pks = pks[args.checkins + args.quiz_teachers : needed]
    now = timezone.now()
    today = timezone.localdate()
    yesterday = today - timedelta(days=1)
    with transaction.atomic():
        lecture = programme_create(
            actor=organiser,
            code=f"FZ{today:%Y-%m%d}",
            title="法治政府建设专题培训讲座",
            level=Level.MUNICIPAL,
            kind=Kind.LECTURE,
            start_date=today,
            end_date=today + timedelta(days=1),  # the session may run past midnight
            credit_hours=Decimal("3"),
            audience="全市中小学教师",
        )
        # Check-in opens 30 min before the start, late 10 min after it: starting in 10 min, all is on time.
        hall = session_create(
            actor=organiser,
            programme=lecture,
            title="法治政府建设专题讲座",
            starts_at=now + timedelta(minutes=10),
            ends_at=now + timedelta(hours=2, minutes=40),
            venue="许昌市教育局五楼报告厅（500座）",
            lecturer="王永浩",
        )
        online = programme_create(
            actor=organiser,
            code=f"SP{today:%Y-%m%d}",
            title=f"{today.year}年市培计划 法治知识培训",
            level=Level.MUNICIPAL,
            kind=Kind.BLENDED,
            start_date=yesterday,
            end_date=today + timedelta(days=30),
            credit_hours=Decimal("6"),
            audience="全市中小学教师",
        )
        attended = session_create(
            actor=organiser,
            programme=online,
            title="集中面授",
            starts_at=aware(yesterday, 9),
            ends_at=aware(yesterday, 11, 30),
        )
        quiz = qz.open_quiz(organiser, online, f"{today.year}年市培计划 法治知识测试", now)
        warm = programme_create(
            actor=organiser,
            code=f"WU{today:%Y-%m%d}",
            title="预热项目（不计入结果）",
            level=Level.SCHOOL,
            kind=Kind.BLENDED,
            start_date=today,
            end_date=today + timedelta(days=1),
            credit_hours=Decimal("1"),
        )
        warm_session = session_create(
            actor=organiser,
            programme=warm,
            title="预热课次",
            starts_at=now + timedelta(minutes=11),
            ends_at=now + timedelta(hours=2),
        )
        warm_quiz = qz.open_quiz(organiser, warm, "预热测试", now)
        Enrolment.objects.bulk_create(
            [
                Enrolment(programme=programme, teacher_id=pk, source=EnrolmentSource.IMPORT)
                for programme, group in ((lecture, lecture_pks), (online, quiz_pks), (warm, warm_pks))
                for pk in group
            ],
            batch_size=1000,
        )
        mark_attended(attended, quiz_pks)  # yesterday's session of the quiz programme
    facts = refresh_facts()
    key: dict[int, set[int]] = defaultdict(set)
    for question_id, option_id in Option.objects.filter(is_correct=True).values_list("question_id", "pk"):
        key[question_id].add(option_id)
    sessions = create_sessions(lecture_pks + warm_pks + [reader.pk for reader in readers])
    tokens = qz.token_headers(quiz_pks + warm_pks)
    mobiles = {pk: person["mobile"] for pk, person in zip(pks, people, strict=True)}
    return {
        "year": today.year,
        "teachers": len(pks),
        "year_so_far": year,
        "lecture": lecture,
        "hall": hall,
        "online": online,
        "quiz": quiz,
        "warm_session": warm_session,
        "warm_quiz": warm_quiz,
        "lecture_pks": lecture_pks,
        "quiz_pks": quiz_pks,
        "warm_pks": warm_pks,
        "readers": [reader.pk for reader in readers],
        "sessions": sessions,
        "tokens": tokens,
        "key": dict(key),
        "mobiles": mobiles,
        "facts_refreshed": facts,
    }


def refresh_facts() -> int | None:
    """The dashboard's facts table (reports.facts), if the project has one: bulk inserts send no
    signals, so it is rebuilt once after them, as seed_activity does. None when there is no such table."""
    try:
        from reports.facts import facts_refresh
    except ImportError:
        return None
    return facts_refresh()


# --------------------------------------------------------------------------- the three crowds


def sleep_until(moment: float) -> None:
    delay = moment - time.perf_counter()
    if delay > 0:
        time.sleep(delay)


def rush(port, session_id, teachers, keys, *, t0, deadline, args, rec: Recorder, done: dict) -> threading.Thread:
    """The check-in rush: arrivals on a triangular curve over --rush-seconds, a bounded pool of phones."""
    rng = random.Random(7)
    peak = args.rush_seconds / 3
    arrivals = sorted((rng.triangular(0, args.rush_seconds, peak), pk) for pk in teachers)
    again = set(teachers[:: max(1, args.again_every)]) if args.again_every else set()
    queue = iter(arrivals)
    lock = threading.Lock()
    client = Client(port)
    slip: list[float] = []

    def phone() -> None:
        while True:
            with lock:
                item = next(queue, None)
            if item is None:
                return
            offset, pk = item
            sleep_until(t0 + offset)
            if time.perf_counter() >= deadline:
                with lock:
                    done["not_done"] += 1
                continue
            with lock:
                slip.append(1000 * (time.perf_counter() - t0 - offset))
            out = ck.checkin(client, session_id=session_id, session_key=keys[pk], device=None, expect="checked_in")
            if out["ok"]:
                rec.ok("checkin", out["total_ms"], requests=0)
                rec.ok("checkin_wait", 1000 * (time.perf_counter() - t0 - offset), requests=0)
                rec.ok("checkin_scan", out["scan_ms"])
                rec.ok("checkin_complete", out["complete_ms"])
                with lock:
                    done["ok"].append(pk)
            else:
                rec.error("checkin", out["error"], requests=2 if "complete" in out["error"] else 1)
            with lock:
                done["attempted"].append(pk)
            if out["ok"] and pk in again:
                second = ck.checkin(
                    client, session_id=session_id, session_key=keys[pk], device=out.get("device"), expect="already"
                )
                if second["ok"]:
                    rec.ok("checkin_again", second["total_ms"], requests=2)
                else:
                    rec.error("checkin_again", second["error"], requests=2)

    phones = args.checkin_concurrency or len(arrivals)  # 0: every teacher has a phone (open arrivals)
    threads = [threading.Thread(target=phone, daemon=True) for _ in range(phones)]
    for thread in threads:
        thread.start()

    def joiner() -> None:
        for thread in threads:
            thread.join()
        client.close()
        done["slip_ms"] = slip

    waiter = threading.Thread(target=joiner, daemon=True)
    waiter.start()
    return waiter


def answer_for(question: dict, key: dict[int, set[int]], rng: random.Random, accuracy: float) -> list[int]:
    """Right (the whole key) with probability `accuracy`, otherwise one wrong option."""
    right = key.get(question["id"], set())
    ids = [option["id"] for option in question["options"]]
    wrong = [option for option in ids if option not in right]
    if rng.random() < accuracy or not wrong:
        return sorted(right)
    return [rng.choice(wrong)]


def quiz_teacher(port, quiz_id, headers, key, *, start_at, deadline, args, seed, double, rec: Recorder) -> dict:
    """One teacher: start, 20 autosaves with thinking between, submit (twice at once if double)."""
    rng = random.Random(seed)
    connection = Connection(port)
    result = {"ok": False, "not_done": False}

    def post(op, path, payload=None, expect=200):
        if time.perf_counter() >= deadline:
            result["not_done"] = True
            return None
        try:
            status, body, ms = connection.post_json(path, headers, payload)
        except (OSError, http.client.HTTPException) as error:
            rec.error(op, type(error).__name__)
            return None
        if status != expect or not isinstance(body, dict):
            rec.error(op, f"answered {status}")
            return None
        rec.ok(op, ms)
        return body

    try:
        sleep_until(start_at)
        paper = post("quiz_start", f"/api/quizzes/{quiz_id}/start/", expect=201)
        if paper is None:
            return result
        if len(paper.get("questions") or []) != ANSWERS:
            rec.error("quiz_start", f"answered 201 with {len(paper.get('questions') or [])} questions")
            return result
        attempt_id = result["attempt"] = paper["id"]
        for question in paper["questions"]:
            if args.think_ms:
                time.sleep(args.think_ms * rng.uniform(0.5, 1.5) / 1000)
            payload = {"question": question["id"], "options": answer_for(question, key, rng, args.accuracy)}
            if post("quiz_autosave", f"/api/attempts/{attempt_id}/answer/", payload) is None:
                return result
        if time.perf_counter() >= deadline:
            result["not_done"] = True
            return result
        if double:
            started = time.perf_counter()
            outcome = qz.race_submit(port, attempt_id, headers)
            if outcome["ok"]:
                rec.ok("quiz_submit", 1000 * (time.perf_counter() - started), requests=2)
            else:
                rec.error("quiz_submit", outcome["error"].strip(), requests=2)
        else:
            try:
                outcome = qz.submit(connection, attempt_id, headers)
            except (OSError, http.client.HTTPException) as error:
                outcome = {"ok": False, "error": type(error).__name__}
            if outcome["ok"]:
                rec.ok("quiz_submit", outcome["ms"])
            else:
                rec.error("quiz_submit", outcome["error"])
        if outcome["ok"]:
            result.update(ok=True, score=outcome["score"], submitted_at=outcome["submitted_at"])
        return result
    finally:
        connection.close()


def quiz_hour(port, quiz_id, credentials, key, *, t0, deadline, args, rec, results) -> list[threading.Thread]:
    teachers = list(credentials)
    double = set(teachers[:: max(1, args.double_submit_every)]) if args.double_submit_every else set()
    rng = random.Random(11)

    def work(pk: int, start_at: float) -> None:
        outcome = quiz_teacher(
            port,
            quiz_id,
            credentials[pk],
            key,
            start_at=start_at,
            deadline=deadline,
            args=args,
            seed=pk,
            double=pk in double,
            rec=rec,
        )
        results[pk] = outcome

    threads = [
        threading.Thread(target=work, args=(pk, t0 + rng.uniform(0, args.quiz_ramp)), daemon=True) for pk in teachers
    ]
    for thread in threads:
        thread.start()
    return threads


def dashboard_reader(port, session_key, year, *, t0, stop: threading.Event, pause_s, rec, offset) -> None:
    client = Client(port)
    headers = {"Cookie": f"sessionid={session_key}"}
    sleep_until(t0 + offset)
    try:
        while not stop.is_set():
            for op, path, accept in (
                ("dashboard_page", f"/reports/?year={year}", "text/html"),
                ("dashboard_api", f"/api/reports/summary/?year={year}", "application/json"),
            ):
                started = time.perf_counter()
                try:
                    status, _headers, body = client.request("GET", path, {**headers, "Accept": accept})
                except (OSError, http.client.HTTPException) as error:
                    rec.error(op, type(error).__name__)
                    continue
                ms = 1000 * (time.perf_counter() - started)
                good = status == 200 and (
                    b'"distinct_teachers"' in body if op == "dashboard_api" else "培训".encode() in body
                )
                if good:
                    rec.ok(op, ms)
                else:
                    rec.error(op, f"answered {status}")
            stop.wait(pause_s)
    finally:
        client.close()


# --------------------------------------------------------------------------- warm-up and the measured phase


def warm_up(port, data, args) -> None:
    """Every worker imports, compiles templates and connects: check-ins, a quiz and dashboard reads."""
    rec = Recorder()
    warm = data["warm_pks"]
    t0 = time.perf_counter() + 0.5
    deadline = t0 + 60
    quick = argparse.Namespace(**{**vars(args), "rush_seconds": 2.0, "again_every": 0, "think_ms": 0})
    done = {"ok": [], "attempted": [], "not_done": 0}
    waiter = rush(
        port, data["warm_session"].pk, warm, data["sessions"], t0=t0, deadline=deadline, args=quick, rec=rec, done=done
    )
    results: dict = {}
    threads = quiz_hour(
        port,
        data["warm_quiz"].pk,
        {pk: data["tokens"][pk] for pk in warm[: max(5, len(warm) // 2)]},
        data["key"],
        t0=t0,
        deadline=deadline,
        args=quick,
        rec=rec,
        results=results,
    )
    stop = threading.Event()
    reader = threading.Thread(
        target=dashboard_reader,
        args=(port, data["sessions"][data["readers"][0]], data["year"]),
        kwargs={"t0": t0, "stop": stop, "pause_s": 0.2, "rec": rec, "offset": 0},
        daemon=True,
    )
    reader.start()
    waiter.join(timeout=90)
    for thread in threads:
        thread.join(timeout=90)
    stop.set()
    reader.join(timeout=60)
    errors = sum(sum(c.values()) for c in rec.errors.values())
    log(
        f"  warm-up: {len(done['ok'])} check-ins, {sum(1 for r in results.values() if r['ok'])} quizzes, "
        f"{len(rec.ms['dashboard_page'])} dashboard pages, {errors} errors {dict(rec.details) or ''}"
    )


def measured_phase(port, data, args, meter) -> dict:
    rec = Recorder()
    t0 = time.perf_counter() + 2.0  # every thread is started before the common start
    deadline = t0 + args.time_limit
    done = {"ok": [], "attempted": [], "not_done": 0}
    before = meter.snapshot()
    waiter = rush(
        port,
        data["hall"].pk,
        data["lecture_pks"],
        data["sessions"],
        t0=t0,
        deadline=deadline,
        args=args,
        rec=rec,
        done=done,
    )
    results: dict = {}
    quiz_threads = quiz_hour(
        port,
        data["quiz"].pk,
        {pk: data["tokens"][pk] for pk in data["quiz_pks"]},
        data["key"],
        t0=t0,
        deadline=deadline,
        args=args,
        rec=rec,
        results=results,
    )
    stop = threading.Event()
    readers = [
        threading.Thread(
            target=dashboard_reader,
            args=(port, data["sessions"][pk], data["year"]),
            kwargs={
                "t0": t0,
                "stop": stop,
                "pause_s": args.reader_pause_ms / 1000,
                "rec": rec,
                "offset": i * args.reader_pause_ms / 1000 / max(1, args.readers),
            },
            daemon=True,
        )
        for i, pk in enumerate(data["readers"][: args.readers])
    ]
    for reader in readers:
        reader.start()
    waiter.join(timeout=args.time_limit + 90)
    for thread in quiz_threads:
        thread.join(timeout=max(1.0, deadline - time.perf_counter() + 90))
    finished = time.perf_counter()
    stop.set()
    for reader in readers:
        reader.join(timeout=60)
    cpu = CpuMeter.delta(before, meter.snapshot())
    elapsed = max(finished - t0, 1e-9)
    for pk in data["quiz_pks"]:  # a thread that never reported (hard limit) counts as not done
        results.setdefault(pk, {"ok": False, "not_done": True})
    return {"rec": rec, "done": done, "results": results, "elapsed": elapsed, "cpu": cpu}


# --------------------------------------------------------------------------- verification


def verify(data, phase) -> dict:
    from django.db.models import Count

    from attendance.models import CheckIn
    from attendance.selectors import ATTENDED
    from certificates.models import Certificate, SerialCounter
    from exams.models import Attempt

    checked = ck.database_check(data["hall"].pk, phase["done"]["ok"], attempted=phase["done"]["attempted"])
    submitted = {pk: r for pk, r in phase["results"].items() if r["ok"]}
    graded = qz.database_check(data["quiz"].pk, submitted)
    per_teacher = Counter(
        Attempt.objects.filter(quiz=data["quiz"], teacher_id__in=data["quiz_pks"]).values_list("teacher_id", flat=True)
    )

    # Certificates: one per teacher who completed (the lecture: attended its one session; the quiz programme:
    # attended yesterday and passed), issued in batches after the check-in and submit requests commit.
    completed = {
        data["lecture"].pk: set(
            CheckIn.objects.filter(session=data["hall"], status__in=ATTENDED).values_list("teacher_id", flat=True)
        ),
        data["online"].pk: set(
            Attempt.objects.filter(quiz=data["quiz"], passed=True).values_list("teacher_id", flat=True)
        ),
    }
    wait_for_automatic_issue()
    cert_missing = cert_extra = cert_duplicates = 0
    for programme_id, teachers in completed.items():
        held = Counter(
            Certificate.objects.filter(programme_id=programme_id, version=1).values_list("teacher_id", flat=True)
        )
        cert_missing += len(teachers - set(held))
        cert_extra += len(set(held) - teachers)
        cert_duplicates += sum(n - 1 for n in held.values() if n > 1)
    numbers = list(
        Certificate.objects.filter(serial_year=data["year"], version=1).values_list("serial_number", flat=True)
    )
    counter = SerialCounter.objects.filter(year=data["year"]).first()
    last = counter.last_number if counter else 0
    serials_ok = sorted(numbers) == list(range(1, len(numbers) + 1)) and last == len(numbers)
    duplicate_serials = (
        Certificate.objects.filter(serial_year=data["year"], version=1)
        .values("serial_number")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .count()
    )
    lecture_certs = len(completed[data["lecture"].pk])
    dashboard = dashboard_check(data)
    return {
        "dashboard": dashboard,
        "checkins": checked,
        "attempts": graded,
        "attempts_per_teacher_max": max(per_teacher.values(), default=0),
        "attempt_duplicates": sum(n - 1 for n in per_teacher.values() if n > 1),
        "submitted": len(submitted),
        "passed": len(completed[data["online"].pk]),
        "certificates": {
            "due": lecture_certs + len(completed[data["online"].pk]),
            "missing": cert_missing,
            "extra": cert_extra,
            "duplicates": cert_duplicates,
            "year_serials": len(numbers),
            "counter": last,
            "serials_gap_free": serials_ok,
            "duplicate_serials": duplicate_serials,
        },
        "lost": {
            # told 签到成功, but no record
            "checkins": checked["missing"],
            # told "submitted", but not exactly one graded attempt matching the answer
            "attempts": len(submitted) - graded["graded_ok"],
            # completed (record in the database), but no certificate
            "certificates": cert_missing,
            # the dashboard's figures (facts table) differing from the same figures computed from the records
            "dashboard_figures": len(dashboard["differ"]),
        },
    }


def dashboard_check(data) -> dict:
    """After the load, the bureau's figures for the year as served (reports.summary) against the same
    figures straight from the records (reports.summary_direct, when the project has it)."""
    from accounts.models import User
    from certificates import reports
    from reports.selectors import report_filter

    user = User.objects.get(pk=data["readers"][0])
    f = report_filter(user, {"year": str(data["year"])})
    served = reports.summary(user=user, f=f)
    figures = {k: v for k, v in served.items() if isinstance(v, int | float | Decimal) and not isinstance(v, bool)}
    if not hasattr(reports, "summary_direct"):
        return {"served": figures, "differ": {}, "compared": False}
    direct = reports.summary_direct(user=user, f=f)
    differ = {k: [v, direct.get(k)] for k, v in figures.items() if k in direct and direct[k] != v}
    for group in ("by_level", "by_programme", "by_district"):
        if group in served and group in direct:
            mine = [
                {k: v for k, v in row.items() if k in ("teachers", "enrolments", "completions")}
                for row in served[group]
            ]
            theirs = [
                {k: v for k, v in row.items() if k in ("teachers", "enrolments", "completions")}
                for row in direct[group]
            ]
            if mine != theirs:
                differ[group] = "rows differ"
    return {"served": figures, "differ": differ, "compared": True}


# --------------------------------------------------------------------------- output


def op_figures(rec: Recorder, elapsed: float) -> dict:
    figures = {}
    for op, _label in OPERATIONS:
        values = rec.ms.get(op, [])
        errors = rec.errors.get(op, Counter())
        figures[op] = {
            "count": len(values),
            "errors": sum(errors.values()),
            **{kind: errors[kind] for kind in ("5xx", "connection", "unexpected") if errors[kind]},
            **{key: round(value, 1) for key, value in latency_summary(values).items()},
            "per_s": round(len(values) / elapsed, 1),
        }
    return figures


def print_report(args, data, phase, check, figures, summary) -> None:
    elapsed = phase["elapsed"]
    cpu = phase["cpu"]
    print(
        f"\nCombined load: gunicorn {gunicorn_workers(args)}, CONN_MAX_AGE={args.conn_max_age}, production settings, "
        f"PostgreSQL 15, {os.cpu_count()} cores"
    )
    year = data["year_so_far"]
    print(
        f"data: {data['teachers']} teachers; year {data['year']} so far: {year['programmes']} finished programmes, "
        f"{year['enrolments']} enrolments, {year['checkins']} check-ins, {year['attempts']} attempts, "
        f"{year['certificates']} certificates; live: {args.checkins} check-ins to one session over "
        f"{args.rush_seconds:.0f} s, {args.quiz_teachers} quiz teachers x {ANSWERS} answers (think "
        f"{args.think_ms:.0f} ms), {args.readers} dashboard readers (pause {args.reader_pause_ms:.0f} ms)"
    )
    header = f"{'operation':<30} {'count':>6} {'err':>4} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>6} {'per s':>6}"
    print(header)
    print("-" * len(header))
    for op, label in OPERATIONS:
        f = figures[op]
        print(
            f"{label:<30} {f['count']:>6} {f['errors']:>4} {fmt_ms(f['p50_ms']):>6} {fmt_ms(f['p95_ms']):>6} "
            f"{fmt_ms(f['p99_ms']):>6} {fmt_ms(f['max_ms']):>6} {f['per_s']:>6.1f}"
        )
    print("-" * len(header))
    print(
        f"{'all HTTP requests':<30} {summary['requests']:>6} {summary['errors']['total']:>4} "
        f"{'':>27} {summary['rps']:>6.1f}"
    )
    slip = phase["done"].get("slip_ms", [])
    print(
        f"measured window {elapsed:.1f} s; {summary['checkins_per_s']:.1f} check-ins/s (peak arrival rate "
        f"{2 * args.checkins / args.rush_seconds:.0f}/s), {summary['quiz_requests_per_s']:.1f} quiz requests/s; "
        f"client start slip p99 {fmt_ms(percentile(slip, 99))} ms; not done at the time limit: "
        f"{summary['not_done']['checkins']} check-ins, {summary['not_done']['quizzes']} quizzes"
    )
    print(
        f"errors: {summary['errors']['5xx']} 5xx, {summary['errors']['connection']} connection, "
        f"{summary['errors']['unexpected']} unexpected"
        + (f" ({dict(phase['rec'].details)})" if phase["rec"].details else "")
        + f"; server log: {summary['server_log']['tracebacks']} tracebacks, "
        f"{summary['server_log']['worker_timeouts']} worker timeouts"
    )
    c, a, certs = check["checkins"], check["attempts"], check["certificates"]
    print(
        f"database: check-ins {c['exactly_one']}/{len(phase['done']['ok'])} told 签到成功 hold exactly one record "
        f"({c['records']} records, {c['duplicates']} duplicates, {c['missing']} missing, {c['unexpected']} unexpected); "
        f"attempts {a['graded_ok']}/{check['submitted']} submitted graded once and equal to the key "
        f"({a['attempts_in_db']} in the database, at most {check['attempts_per_teacher_max']} per teacher"
        + (f", problems {a['problems']}" if a["problems"] else "")
        + f"); certificates {certs['due'] - certs['missing']}/{certs['due']} due issued ({check['passed']} passed "
        f"the quiz), {certs['duplicates']} duplicates, {certs['extra']} extra; the year's serials 1..{certs['counter']} "
        f"gap-free: {'yes' if certs['serials_gap_free'] else 'NO'}"
    )
    dash = check["dashboard"]
    print(
        f"dashboard after the load: {dash['served'].get('distinct_teachers')} teachers, "
        f"{dash['served'].get('enrolments')} enrolments, {dash['served'].get('completions')} completions; "
        + (
            ("equal to the records" if not dash["differ"] else f"DIFFERS from the records: {dash['differ']}")
            if dash["compared"]
            else "not compared (no reports.summary_direct)"
        )
        + f"; facts rebuilt after the bulk data: {data['facts_refreshed']}"
    )
    print(
        f"cpu s: gunicorn {cpu['gunicorn_cpu_s']:.1f}, PostgreSQL {cpu['postgres_cpu_s']:.1f}, client "
        f"{cpu['client_cpu_s']:.1f}; machine busy {cpu['machine_busy_pct']:.0f}%, of which other processes "
        f"{cpu['others_pct']:.0f}%"
    )
    lost = check["lost"]
    verdict = "OK" if summary["passed"] else "FAILED"
    print(
        f"lost: {lost['checkins']} check-ins, {lost['attempts']} attempts, {lost['certificates']} certificates, "
        f"{lost['dashboard_figures']} dashboard figures -> "
        f"{verdict} (no errors, nothing lost, every check-in and quiz done)"
    )
    print(
        f"code: {summary['code']['commit']}"
        + (f" with changed files {summary['code']['changed']}" if summary["code"]["changed"] else "")
    )
    print("latencies in ms; a check-in is its two requests together; a double submit counts once, both answers")


def code_state() -> dict:
    """The commit measured and the tracked files changed in the working tree (others may be editing)."""
    import subprocess

    def git(*command: str) -> str:
        try:
            return subprocess.run(["git", *command], cwd=PROJECT, capture_output=True, text=True, check=False).stdout
        except OSError:
            return ""

    changed = [line[3:] for line in git("status", "--porcelain", "--untracked-files=no").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD").strip() or None, "changed": changed}


def server_log_counts(path: Path) -> dict:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return {"tracebacks": 0, "worker_timeouts": 0}
    return {"tracebacks": text.count("Traceback"), "worker_timeouts": text.count("WORKER TIMEOUT")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--checkins", type=int, default=500, help="teachers in the check-in rush")
    parser.add_argument("--rush-seconds", type=float, default=45.0, help="arrivals spread over this many seconds")
    parser.add_argument(
        "--checkin-concurrency", type=int, default=0, help="phones in flight at most (0: one per teacher)"
    )
    parser.add_argument("--again-every", type=int, default=25, help="every n-th teacher scans twice (0: none)")
    parser.add_argument("--quiz-teachers", type=int, default=150)
    parser.add_argument("--quiz-ramp", type=float, default=10.0, help="quiz starts spread over this many seconds")
    parser.add_argument("--think-ms", type=float, default=2000.0, help="mean pause before each answer")
    parser.add_argument("--accuracy", type=float, default=0.85, help="share of right answers")
    parser.add_argument("--double-submit-every", type=int, default=15, help="every n-th submits twice at once")
    parser.add_argument("--readers", type=int, default=3, help="bureau users reading the dashboard in a loop")
    parser.add_argument("--reader-pause-ms", type=float, default=1000.0)
    parser.add_argument("--teachers", type=int, default=3000, help="teachers in the year (at least the live ones)")
    parser.add_argument("--past-programmes", type=int, default=6, help="finished programmes of this year")
    parser.add_argument("--year-share", type=float, default=0.45, help="share of teachers in each past programme")
    parser.add_argument("--warmup", type=int, default=40, help="warm-up teachers (not measured)")
    parser.add_argument("--time-limit", type=float, default=150.0, help="hard limit of the measured phase, s")
    add_gunicorn_arguments(parser)
    parser.add_argument("--conn-max-age", type=int, default=0, help="CONN_MAX_AGE of the server (project default 0)")
    parser.add_argument("--quiet-below", type=float, default=20.0, help="wait until the machine is less busy ...")
    parser.add_argument("--quiet-wait", type=float, default=45.0, help="... but at most this many seconds")
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that `finally` stops the servers
    folder = Path(tempfile.mkdtemp(prefix="combined-bench-"))
    postgres = None if os.environ.get("DATABASE_URL") else qz.Postgres()
    server = None
    began = time.perf_counter()
    code = code_state()
    try:
        url = database_url(postgres)
        stubs, extra = missing_source_maps(folder), ""
        if stubs:
            extra = f"STATICFILES_DIRS = [*STATICFILES_DIRS, {str(folder / 'static-stubs')!r}]  # noqa: F405\n"
            log(f"  collectstatic would fail on missing source maps; stubbed in the temporary folder: {stubs}")
        env = production_env(folder, "combined", url, args.conn_max_age, extra)
        env.pop("REDIS_URL", None)  # the database cache, as on a single server without Redis
        log(f"database {url}; migrating, collectstatic and createcachetable in {folder} ...")
        setup_production_django(env, folder)
        from django.contrib.auth.hashers import make_password

        password_hash = make_password(PASSWORD)  # hashed once, set for every teacher
        log("building the data ...")
        data = build_data(args, password_hash)
        log(
            f"  {data['teachers']} teachers, year so far {data['year_so_far']}; "
            f"{len(data['sessions'])} sessions and {len(data['tokens'])} tokens"
        )
        server = Gunicorn(env=env, args=args, folder=folder)
        server.start()
        signed_in = ck.sign_in_check(server.port, data["mobiles"][data["lecture_pks"][0]]) and qz.sign_in_check(
            server.port, data["mobiles"][data["quiz_pks"][0]], "token"
        )
        log(f"  the password is real (/accounts/login/ and /api/auth/token/): {signed_in}")
        warm_up(server.port, data, args)
        meter = CpuMeter(server.process.pid, postgres.pid() if postgres else None)
        wait_for_quiet(threshold_pct=args.quiet_below, max_wait=args.quiet_wait)
        log(
            f"measured phase: {args.checkins} check-ins, {args.quiz_teachers} quiz teachers, {args.readers} readers ..."
        )
        phase = measured_phase(server.port, data, args, meter)
        check = verify(data, phase)
        rec, elapsed = phase["rec"], phase["elapsed"]
        figures = op_figures(rec, elapsed)
        totals = Counter()
        for errors in rec.errors.values():
            totals.update(errors)
        quiz_requests = sum(figures[op]["count"] for op in ("quiz_start", "quiz_autosave", "quiz_submit"))
        not_done = {
            "checkins": phase["done"]["not_done"],
            "quizzes": sum(1 for r in phase["results"].values() if r.get("not_done")),
        }
        error_total = sum(totals.values())
        summary = {
            "requests": rec.requests,
            "rps": round(rec.requests / elapsed, 1),
            "checkins_per_s": round(len(phase["done"]["ok"]) / elapsed, 1),
            "quiz_requests_per_s": round(quiz_requests / elapsed, 1),
            "errors": {
                "total": error_total,
                "5xx": totals["5xx"],
                "connection": totals["connection"],
                "unexpected": totals["unexpected"],
            },
            "not_done": not_done,
            "server_log": server_log_counts(server.log_path),
            "code": code,
        }
        lost = check["lost"]
        summary["passed"] = (
            error_total == 0
            and not any(lost.values())
            and not any(not_done.values())
            and len(phase["done"]["ok"]) == args.checkins
            and check["submitted"] == args.quiz_teachers
            and check["checkins"]["duplicates"] == 0
            and check["attempt_duplicates"] == 0
            and check["certificates"]["duplicates"] == 0
            and check["certificates"]["serials_gap_free"]
        )
        print_report(args, data, phase, check, figures, summary)
        cpu = phase["cpu"]
        result = {
            "date": time.strftime("%Y-%m-%d"),
            "cores": os.cpu_count(),
            "server": {
                **gunicorn_figures(args),
                "conn_max_age": args.conn_max_age,
                "settings": "production",
            },
            "load": {
                "checkins": args.checkins,
                "rush_seconds": args.rush_seconds,
                "quiz_teachers": args.quiz_teachers,
                "answers_each": ANSWERS,
                "think_ms": args.think_ms,
                "readers": args.readers,
                "reader_pause_ms": args.reader_pause_ms,
            },
            "data": {"teachers": data["teachers"], "year_so_far": data["year_so_far"]},
            "elapsed_s": round(elapsed, 1),
            "requests": summary["requests"],
            "rps": summary["rps"],
            "checkins_per_s": summary["checkins_per_s"],
            "operations": figures,
            "errors": summary["errors"],
            "not_done": not_done,
            "lost": lost,
            "duplicates": {
                "checkins": check["checkins"]["duplicates"],
                "attempts": check["attempt_duplicates"],
                "certificates": check["certificates"]["duplicates"],
                "serials": check["certificates"]["duplicate_serials"],
            },
            "checkins_ok": len(phase["done"]["ok"]),
            "submitted": check["submitted"],
            "graded_once": check["attempts"]["graded_ok"],
            "passed": check["passed"],
            "certificates_issued_live": check["certificates"]["due"] - check["certificates"]["missing"],
            "serials_gap_free": check["certificates"]["serials_gap_free"],
            "server_log": summary["server_log"],
            "cpu_s": {
                "gunicorn": round(cpu["gunicorn_cpu_s"], 1),
                "postgres": round(cpu["postgres_cpu_s"], 1),
                "client": round(cpu["client_cpu_s"], 1),
            },
            "machine_busy_pct": round(cpu["machine_busy_pct"], 1),
            "others_pct": round(cpu["others_pct"], 1),
            "signed_in_check": signed_in,
            "stubbed_source_maps": stubs,
            "code": code,
            "facts_refreshed": data["facts_refreshed"],
            "dashboard_after": check["dashboard"]["served"],
            "dashboard_compared_with_records": check["dashboard"]["compared"],
            "total_run_s": round(time.perf_counter() - began, 1),
            "ok": summary["passed"],
        }
        print(json.dumps(no_nan(result), ensure_ascii=False))
    finally:
        stop_all(server, postgres, folder)


if __name__ == "__main__":
    main()
