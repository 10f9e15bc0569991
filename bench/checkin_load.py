"""Load benchmark of the QR check-in: N signed-in teachers check in to one session through gunicorn.

The scenario is the acceptance item of the QR attendance issue: a 500-seat hall (N=500) and the
whole year's cohort (N=3,000) scanning the projector's QR within 60 s. Everything runs on this
machine over loopback (127.0.0.1 only):

  PostgreSQL 15   a throwaway cluster started by the script (initdb in a temporary folder, run as
                  the postgres user when the script runs as root, 127.0.0.1 only), unless
                  DATABASE_URL is given; migrated, plus createcachetable (the production cache)
  gunicorn        training_site.wsgi with the production settings (5 sync workers by default,
                  sized for 2 cores; CONN_MAX_AGE as production sets it unless --conn-max-age);
                  the only deviations are SECURE_SSL_REDIRECT=false (plain http on loopback, as
                  behind the TLS proxy; the secure-cookie flags do not matter, the client sends its
                  cookies itself) and STATIC_ROOT in the temporary folder (collectstatic runs
                  there, the project folder is not touched)
  data            made through the project's services after a flush: an organiser, the lecture
                  (courses.services.programme_create / session_create, check-in window open now;
                  --lecture-sessions 1 by default, so every check-in completes the programme and
                  asks for the certificate — issued in batches by the task worker (db_worker),
                  as for the 2021-09-14 lecture) and a
                  separate warm-up programme; N teachers (+ race and warm-up teachers) with
                  accounts.services.teachers_bulk_create, one usable password hashed ONCE with
                  make_password and assigned to all in one UPDATE, enrolments in bulk announced
                  with courses.signals.enrolments_bulk_created as the roster import does
  sign-in         done before the measured phase: one real Django session per teacher written to
                  the session table (SessionStore encoding with the auth keys and the session auth
                  hash), so the measured phase is only the check-in; each phone also sends the
                  CSRF cookie that signing in leaves (login() rotates it); one teacher also signs in
                  through /accounts/login/ to prove the password and the sessions are real
  client          Python threads with http.client (standard library), bounded concurrency
                  (--concurrency, default 32 in flight), a bounded count (N) and a hard time limit
                  (--time-limit, default 60 s). A check-in is GET /a/<token>/ (302, stores the
                  pending scan, sets the device cookie) then GET /attendance/complete/ (200,
                  "签到成功"); its latency is the two requests together, and each is reported too.
                  The token is attendance.tokens.make_token for the current step, made per request.
  ceiling         /healthz (one SELECT 1) with the same client, concurrency and server, measured in
                  the same run just before the check-ins; ratio_to_ceiling = check-ins/s ÷ healthz/s
  duplicates      after the run, a sample of teachers scans a second time (must answer 已签到) and
                  --race extra teachers scan from two phones at the same instant; then the database
                  is queried: every teacher told 签到成功 must hold exactly one record for the
                  session (and, with a one-session lecture, exactly one certificate)

Each size runs --repeat times (default 3) on fresh data; the table shows every run and the medians.
CPU seconds of the client, the gunicorn workers and PostgreSQL are read from /proc for each phase,
so the cost per check-in on the 2 shared cores is visible, and so is the share of the machine used
by processes outside the benchmark (other% — runs disturbed by 15% or more are left out of the
medians unless every run is; the script first waits up to --quiet-wait s for a quiet machine).
--profile adds the SQL, the CPU time and a cProfile of check-ins made in-process through Django's
test client (no HTTP, no gunicorn).

Run it from the project folder (as root or as a user who can run initdb):

    .venv/bin/python bench/checkin_load.py                               # N=500 and N=3000, 3 runs each
    .venv/bin/python bench/checkin_load.py --sizes 500 --repeat 1 --profile
    .venv/bin/python bench/checkin_load.py --lecture-sessions 2          # check-ins that issue nothing
    .venv/bin/python bench/checkin_load.py --conn-max-age 0              # a new DB connection per request
    .venv/bin/python bench/checkin_load.py --worker-class gthread --workers 3 --threads 4
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/checkin_load.py

A DATABASE_URL must name a throwaway database: the script migrates it and flushes it before every
run. Target: >= 200 check-ins/s with p99 < 250 ms. The last line of the output is one JSON object
(figures of the largest size, medians over its runs; every size under "runs").
"""

import argparse
import contextlib
import cProfile
import hashlib
import http.client
import json
import os
import pstats
import re
import signal
import statistics
import sys
import threading
import time
from datetime import timedelta
from decimal import Decimal
from http.cookies import SimpleCookie

from harness import (
    HOST,
    PASSWORD,
    USER_AGENT,
    Client,
    CpuMeter,
    Postgres,
    add_gunicorn_arguments,
    ceiling_phase,
    cookie_value,
    cpu_ms_per,
    create_organiser,
    create_sessions,
    create_teachers,
    effective_conn_max_age,
    enrol,
    fmt_ms,
    gunicorn_figures,
    gunicorn_workers,
    latency_summary,
    log,
    make_people,
    production_stack,
    profile_listing,
    run_load,
    sign_in,
    undisturbed,
    wait_for_automatic_issue,
    wait_for_quiet,
)

TARGET_RATE = 200.0
TARGET_P99_MS = 250.0


# --------------------------------------------------------------------------- data


def build_data(groups: dict[str, int], seed: int, password_hash: str, lecture_sessions: int = 1) -> dict:
    """Flush, then an organiser, the lecture and a warm-up programme, teachers, enrolments.

    The lecture is a programme with `lecture_sessions` sessions, the first of which opens for check-in
    now; with one session (the default, like the 2021-09-14 lecture) every check-in completes the
    programme, so the check-in request also issues the teacher's certificate (the project's automatic
    issue). groups maps a group name to a count of teachers: "warmup" is enrolled in the warm-up
    programme, every other group in the lecture. Enrolments are inserted in bulk and announced with
    courses.signals.enrolments_bulk_created, as the roster import does (the dashboard's facts follow).
    Returns the programmes, the sessions and, per group, the list of (teacher pk, mobile).
    """
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from courses.models import Kind, Level
    from courses.services import programme_create, session_create

    call_command("flush", interactive=False, verbosity=0)
    people = make_people(sum(groups.values()), seed)
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        organiser = create_organiser()
        common = {
            "level": Level.MUNICIPAL,
            "kind": Kind.LECTURE,
            "start_date": today,
            "end_date": today + timedelta(days=30),
            "credit_hours": Decimal("3"),
            "audience": "全市中小学教师",
        }
        lecture = programme_create(
            actor=organiser, code=f"FZ{today:%Y-%m%d}", title="法治政府建设专题培训讲座", **common
        )
        warmup_programme = programme_create(actor=organiser, code="BENCH-WARMUP", title="预热（不计入结果）", **common)
        # Check-in opens 30 min before the start and is "late" 10 min after it: starting in 10 min,
        # the whole run is on time.
        main = session_create(
            actor=organiser,
            programme=lecture,
            title="法治政府建设专题讲座",
            starts_at=now + timedelta(minutes=10),
            ends_at=now + timedelta(hours=2, minutes=40),
            venue="许昌市教育局五楼报告厅（500座）",
            lecturer="王永浩",
        )
        for day in range(1, lecture_sessions):
            session_create(
                actor=organiser,
                programme=lecture,
                title=f"第{day + 1}次课",
                starts_at=now + timedelta(days=day),
                ends_at=now + timedelta(days=day, hours=2),
            )
        warmup = session_create(
            actor=organiser,
            programme=warmup_programme,
            title="预热课次",
            starts_at=now + timedelta(minutes=10),
            ends_at=now + timedelta(hours=2, minutes=40),
        )
        pks = create_teachers(people, password_hash)
        result, start = {"lecture": lecture, "main": main, "warmup": warmup, "groups": {}}, 0
        for name, count in groups.items():
            result["groups"][name] = [(pks[i], people[i]["mobile"]) for i in range(start, start + count)]
            start += count
            enrol(warmup_programme if name == "warmup" else lecture, pks[start - count : start])
    return result


# --------------------------------------------------------------------------- the client


def csrf_secret(session_key: str) -> str:
    """The phone's CSRF cookie: a 32-character secret, as Django's login() sets (one per session key)."""
    return hashlib.sha256(session_key.encode()).hexdigest()[:32]


def checkin(client: Client, *, session_id: int, session_key: str, device: str | None, expect: str) -> dict:
    """The phone's two requests: the QR's URL, then the completion it redirects to.

    ok is True when the completion answers 200 with the expected outcome (checked_in, already, ...).
    A scan that answers 200 with the result itself (a one-request check-in, should the view ever
    complete signed-in scans at once) is accepted too; its completion time is then 0.
    """
    from django.utils import timezone

    from attendance import tokens

    token = tokens.make_token(session_id=session_id, kind="in", moment=timezone.now())
    # A signed-in phone holds the CSRF cookie it was given at sign-in (login() rotates it).
    signed_in = f"sessionid={session_key}; csrftoken={csrf_secret(session_key)}"
    cookies = signed_in + (f"; att_device={device}" if device else "")
    result = {"ok": False, "outcome": "", "error": ""}
    started = time.perf_counter()
    try:
        status, headers, first_body = client.request("GET", f"/a/{token}/", {"Cookie": cookies})
        scanned = time.perf_counter()
        result["scan_ms"] = (scanned - started) * 1000
        device = device or cookie_value(headers, "att_device")
        if status == 200:  # a one-request check-in: the scan answered the result at once
            body, finished = first_body, scanned
        elif status != 302 or headers.get("Location") != "/attendance/complete/":
            result["error"] = f"scan answered {status}"
            return result
        else:
            cookies = signed_in + (f"; att_device={device}" if device else "")
            status, headers, body = client.request("GET", "/attendance/complete/", {"Cookie": cookies})
            finished = time.perf_counter()
    except (OSError, http.client.HTTPException) as error:
        result["error"] = type(error).__name__
        return result
    found = re.search(rb'class="result result-([a-z_]+)"', body)
    result.update(
        complete_ms=(finished - scanned) * 1000,
        total_ms=(finished - started) * 1000,
        device=device,
        outcome=found.group(1).decode() if found else "",
    )
    result["ok"] = status == 200 and result["outcome"] == expect
    if not result["ok"]:
        result["error"] = f"complete answered {status} {result['outcome']}".strip()
    return result


# --------------------------------------------------------------------------- phases


def sign_in_check(port: int, mobile: str) -> bool:
    """One real sign-in through /accounts/login/ with the benchmark password, then the home page."""
    client = Client(port)
    try:
        session = sign_in(client, mobile)
        if not session:
            return False
        status, _, _ = client.request("GET", "/", {"Cookie": f"sessionid={session}"})
        return status == 200
    finally:
        client.close()


def checkin_phase(port, session_id, keys, *, concurrency, time_limit, meter, expect="checked_in", devices=None):
    client = Client(port)
    devices = devices or {}

    def work(pk):
        outcome = checkin(client, session_id=session_id, session_key=keys[pk], device=devices.get(pk), expect=expect)
        outcome["teacher"] = pk
        return outcome

    before = meter.snapshot() if meter else None
    results, elapsed = run_load(list(keys), work, concurrency=concurrency, time_limit=time_limit)
    cpu = CpuMeter.delta(before, meter.snapshot()) if meter else {}
    client.close()
    return results, elapsed, cpu


def race_phase(port, session_id, pairs: dict[int, tuple[str, str]], *, concurrency: int) -> list[dict]:
    """Each teacher scans from two phones (two sessions) at the same instant; the completions race."""
    client = Client(port)
    barriers = {pk: threading.Barrier(2) for pk in pairs}
    items = [(pk, key) for pk, both in pairs.items() for key in both]

    def work(item):
        pk, key = item
        with contextlib.suppress(threading.BrokenBarrierError):
            barriers[pk].wait(timeout=10)
        outcome = checkin(client, session_id=session_id, session_key=key, device=None, expect="checked_in")
        outcome["teacher"] = pk
        return outcome

    results, _ = run_load(items, work, concurrency=max(2, concurrency - concurrency % 2), time_limit=60)
    client.close()
    return results


def database_check(session_id: int, teachers: list[int], attempted: list[int]) -> dict:
    """The session's records per teacher, read from the database.

    teachers: those told 签到成功 (or racing); each must hold exactly one record. attempted: every teacher
    whose check-in was tried; nobody else may hold a record (a failed or unattempted check-in writes none).
    """
    from django.db.models import Count

    from attendance.models import CheckIn

    per_teacher = dict(CheckIn.objects.filter(session_id=session_id).values_list("teacher_id").annotate(n=Count("id")))
    return {
        "records": sum(per_teacher.values()),
        "exactly_one": sum(1 for pk in teachers if per_teacher.get(pk) == 1),
        "duplicates": sum(n - 1 for n in per_teacher.values() if n > 1),
        "missing": sum(1 for pk in teachers if pk not in per_teacher),
        "unexpected": len(set(per_teacher) - set(teachers) - set(attempted)),
    }


def certificates_check(programme_id: int, teachers: list[int]) -> dict:
    """The lecture's certificates: with a one-session lecture each teacher who checked in holds exactly one.
    The automatic issue runs in batches after the check-ins' commits (tasks on the db_worker beside gunicorn), so
    first wait — at most 60 s — until no completion is waiting, and report how long that took."""
    from django.db.models import Count

    from certificates.models import Certificate

    waited = wait_for_automatic_issue()
    rows = Certificate.objects.filter(programme_id=programme_id).values_list("teacher_id").annotate(n=Count("id"))
    per_teacher = dict(rows)
    return {
        "certificates": sum(per_teacher.values()),
        "certificate_duplicates": sum(n - 1 for n in per_teacher.values() if n > 1),
        "teachers_without_certificate": sum(1 for pk in teachers if pk not in per_teacher),
        "issue_wait_s": round(waited, 2),
    }


def statistics_as_in_production() -> None:
    """A real hall scans into tables that hold the year's data, with the statistics autovacuum keeps. A run's
    data is written a moment before its check-ins (after a flush), so without this the planner would see
    the tables as they were before the flush — mostly empty — until autovacuum's next pass, part-way through
    the run. ANALYZE once, as autovacuum would have long before a lecture (off with --no-analyze)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def one_run(args, size: int, run: int, port: int, meter: CpuMeter, password_hash: str) -> dict:
    race = args.race
    warmup = max(2 * args.concurrency, 50)
    data = build_data(
        {"main": size, "race": race, "warmup": warmup},
        seed=20261125 + 1000 * size + run,
        password_hash=password_hash,
        lecture_sessions=args.lecture_sessions,
    )
    main_session, warm_session = data["main"].pk, data["warmup"].pk
    main = [pk for pk, _mobile in data["groups"]["main"]]
    race_teachers = [pk for pk, _mobile in data["groups"]["race"]]
    warm = [pk for pk, _mobile in data["groups"]["warmup"]]
    keys = create_sessions(main + warm)
    race_keys = create_sessions(race_teachers)
    second_keys = create_sessions(race_teachers)
    pairs = {pk: (race_keys[pk], second_keys[pk]) for pk in race_teachers}
    signed_in = sign_in_check(port, data["groups"]["main"][0][1])
    if args.analyze:
        statistics_as_in_production()

    # Warm-up: every worker loads templates, URL patterns and database connections.
    checkin_phase(
        port, warm_session, {pk: keys[pk] for pk in warm}, concurrency=args.concurrency, time_limit=60, meter=None
    )
    ceiling_phase(port, requests=300, concurrency=args.concurrency, time_limit=30, meter=meter)

    wait_for_quiet(threshold_pct=args.quiet_below, max_wait=args.quiet_wait)
    ceiling = ceiling_phase(
        port,
        requests=max(2 * size, args.ceiling_requests),
        concurrency=args.concurrency,
        time_limit=args.time_limit,
        meter=meter,
    )
    log(f"  run {run + 1}: ceiling {ceiling['rps']:.0f} req/s; checking in {size} teachers ...")
    wait_for_quiet(threshold_pct=args.quiet_below, max_wait=args.quiet_wait)
    results, elapsed, cpu = checkin_phase(
        port,
        main_session,
        {pk: keys[pk] for pk in main},
        concurrency=args.concurrency,
        time_limit=args.time_limit,
        meter=meter,
    )
    ok = [r for r in results if r["ok"]]
    errors: dict[str, int] = {}
    for r in results:
        if not r["ok"]:
            errors[r["error"]] = errors.get(r["error"], 0) + 1
    devices = {r["teacher"]: r.get("device") for r in ok}

    # A second scan by a sample of teachers (same phone, same session): must answer 已签到.
    checked_in = [r["teacher"] for r in ok]
    sample = checked_in[:: max(1, len(checked_in) // max(1, args.dup_sample))][: args.dup_sample]
    again, _, _ = checkin_phase(
        port,
        main_session,
        {pk: keys[pk] for pk in sample},
        concurrency=args.concurrency,
        time_limit=60,
        meter=None,
        expect="already",
        devices=devices,
    )
    raced = race_phase(port, main_session, pairs, concurrency=args.concurrency)
    race_outcomes: dict[str, int] = {}
    for r in raced:
        name = r["outcome"] or r["error"]
        race_outcomes[name] = race_outcomes.get(name, 0) + 1
    check = database_check(main_session, checked_in + race_teachers, attempted=[r["teacher"] for r in results])
    check.update(certificates_check(data["lecture"].pk, checked_in + race_teachers))
    totals = [r["total_ms"] for r in ok]
    checkins_per_s = len(ok) / elapsed
    result = {
        "n": size,
        "run": run + 1,
        "signed_in_through_login": signed_in,
        "attempted": len(results),
        "checkins": len(ok),
        "errors": errors,
        "not_attempted": size - len(results),
        "elapsed_s": elapsed,
        "checkins_per_s": checkins_per_s,
        "requests_per_s": 2 * len(ok) / elapsed,
        **latency_summary(totals),
        "scan": latency_summary([r["scan_ms"] for r in ok]),
        "complete": latency_summary([r["complete_ms"] for r in ok]),
        **cpu,
        "ceiling": ceiling,
        "ceiling_rps": ceiling["rps"],
        "ratio_to_ceiling": checkins_per_s / ceiling["rps"],
        "second_scans": len(again),
        "second_scans_already": sum(1 for r in again if r["ok"]),
        "race_teachers": len(pairs),
        "race_outcomes": race_outcomes,
        **check,
    }
    log(
        f"  run {run + 1}: {len(ok)}/{size} in {elapsed:.1f} s = {checkins_per_s:.0f}/s, "
        f"p50 {result['p50_ms']:.0f} p95 {result['p95_ms']:.0f} p99 {result['p99_ms']:.0f} ms; "
        f"DB {check['records']} records, {check['duplicates']} duplicates, {check['missing']} missing; "
        f"{check['certificates']} certificates, the last {check['issue_wait_s']:.1f} s after the second-scan and race phases"
    )
    return result


# --------------------------------------------------------------------------- profile


PROFILE_PARTS = [
    # (label, path ending, function name): cumulative time of these functions in the profile
    ("whole check-in (both requests through the WSGI handler)", "django/test/client.py", "request"),
    ("  SQL statements: PostgreSQL round trips", "django/db/backends/utils.py", "_execute"),
    ("  ORM: building SQL (compiler.as_sql)", "django/db/models/sql/compiler.py", "as_sql"),
    ("  session load (SessionStore.load)", "sessions/backends/db.py", "load"),
    ("  session save (SessionStore.save)", "sessions/backends/db.py", "save"),
    ("  request.user (auth get_user)", "django/contrib/auth/__init__.py", "get_user"),
    ("  scan_view", "attendance/views.py", "scan_view"),
    ("  complete_view", "attendance/views.py", "complete_view"),
    ("    services.checkin_record", "attendance/services.py", "checkin_record"),
    ("      reports.facts.facts_refresh (dashboard facts)", "reports/facts.py", "facts_refresh"),
    ("      certificates.services.issue_request (PendingIssue row)", "certificates/services.py", "issue_request"),
    (
        "      certificates.services.pending_issues_drain (batched issue)",
        "certificates/services.py",
        "pending_issues_drain",
    ),
    ("    template rendering (shortcuts.render)", "django/shortcuts.py", "render"),
]


def profile_in_process(count: int, top: int, password_hash: str, lecture_sessions: int = 1) -> None:
    """Wall and CPU time, SQL and cProfile of check-ins through Django's test client (no HTTP, no gunicorn)."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from attendance import tokens

    data = build_data(
        {"profile": 2 * count + 1}, seed=4242, password_hash=password_hash, lecture_sessions=lecture_sessions
    )
    pks = [pk for pk, _ in data["groups"]["profile"]]
    keys = create_sessions(pks)
    session_id = data["main"].pk
    client = DjangoClient(HTTP_HOST=HOST, HTTP_USER_AGENT=USER_AGENT)  # one handler, as in a gunicorn worker

    split = {"scan": 0.0, "complete": 0.0}

    def one(pk):
        client.cookies = SimpleCookie({"sessionid": keys[pk], "csrftoken": csrf_secret(keys[pk])})
        token = tokens.make_token(session_id=session_id, kind="in", moment=timezone.now())
        started = time.process_time()
        response = client.get(f"/a/{token}/")
        scanned = time.process_time()
        split["scan"] += scanned - started
        if response.status_code == 302:  # the two-request flow; a one-request check-in answers 200 at once
            response = client.get("/attendance/complete/")
            split["complete"] += time.process_time() - scanned
        assert b"result-checked_in" in response.content, response.status_code

    with CaptureQueriesContext(connection) as queries:
        one(pks[0])
    print(f"\n--- SQL of one check-in (scan + complete): {len(queries.captured_queries)} statements")
    for query in queries.captured_queries:
        print(f"  {query['sql'][:140]}")

    split.update(scan=0.0, complete=0.0)
    wall, cpu = time.perf_counter(), time.process_time()
    for pk in pks[1 : count + 1]:
        one(pk)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(
        f"\n--- in-process, one thread, no profiler: {count} check-ins, {1000 * wall / count:.2f} ms wall and "
        f"{1000 * cpu / count:.2f} ms CPU of this process (Django + psycopg) per check-in "
        f"(GET /a/<token>/ {1000 * split['scan'] / count:.2f} ms, GET /attendance/complete/ "
        f"{1000 * split['complete'] / count:.2f} ms); one core would do {count / cpu:.0f} check-ins/s of Django work"
    )

    profiler = cProfile.Profile()
    profiler.enable()
    for pk in pks[count + 1 :]:
        one(pk)
    profiler.disable()
    stats = pstats.Stats(profiler)
    total = 0.0
    print(f"\n--- where the time goes (cProfile of {count} more check-ins; profiler overhead inflates Python parts)")
    for label, filename, function in PROFILE_PARTS:
        seconds = sum(
            row[3] for (path, _line, name), row in stats.stats.items() if name == function and path.endswith(filename)
        )
        total = total or seconds
        print(f"  {label:<58} {1000 * seconds / count:7.2f} ms  {100 * seconds / total:5.1f}%")
    print(f"\n--- cProfile, top {top} by own time")
    print(profile_listing(profiler, "tottime", top))
    wait_for_automatic_issue()  # the automatic-issue tasks, before the database goes away


# --------------------------------------------------------------------------- output


def median_of(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def summarise(size: int, all_runs: list[dict], max_others: float) -> dict:
    """Medians over the runs not disturbed by other work on the machine (all runs if every one was).

    ratio_to_ceiling = median check-ins/s ÷ median /healthz requests/s.

    Correctness counts (errors, duplicates, missing records) are summed over every run.
    """
    runs = undisturbed(all_runs, max_others)
    # The ceiling phase has its own share of other work: its median is over the runs where it was quiet.
    ceilings = undisturbed([run["ceiling"] for run in all_runs], max_others)
    ceiling_rps = statistics.median(ceiling["rps"] for ceiling in ceilings)
    return {
        "n": size,
        "runs": len(all_runs),
        "runs_in_medians": len(runs),
        "medians_disturbed": all(run["others_pct"] >= max_others for run in all_runs),
        "checkins": int(statistics.median(run["checkins"] for run in runs)),
        "checkins_per_s": round(median_of(runs, "checkins_per_s"), 1),
        "p50_ms": round(median_of(runs, "p50_ms"), 1),
        "p95_ms": round(median_of(runs, "p95_ms"), 1),
        "p99_ms": round(median_of(runs, "p99_ms"), 1),
        "scan_p50_ms": round(statistics.median(run["scan"]["p50_ms"] for run in runs), 1),
        "complete_p50_ms": round(statistics.median(run["complete"]["p50_ms"] for run in runs), 1),
        "ceiling_rps": round(ceiling_rps, 1),
        "ceiling_p99_ms": round(statistics.median(ceiling["p99_ms"] for ceiling in ceilings), 1),
        "ceiling_runs_in_median": len(ceilings),
        "ratio_to_ceiling": round(median_of(runs, "checkins_per_s") / ceiling_rps, 3),
        "errors": sum(sum(run["errors"].values()) for run in all_runs),
        "not_attempted_at_time_limit": sum(run["not_attempted"] for run in all_runs),
        "duplicates": sum(run["duplicates"] for run in all_runs),
        "missing": sum(run["missing"] for run in all_runs),
        "unexpected": sum(run["unexpected"] for run in all_runs),
        "exactly_one": sum(run["exactly_one"] for run in all_runs),
        "expected_records": sum(run["checkins"] + run["race_teachers"] for run in all_runs),
        "second_scans": sum(run["second_scans"] for run in all_runs),
        "second_scans_already": sum(run["second_scans_already"] for run in all_runs),
        "race_pairs": sum(run["race_teachers"] for run in all_runs),
        "certificates": sum(run["certificates"] for run in all_runs),
        "certificate_duplicates": sum(run["certificate_duplicates"] for run in all_runs),
        "teachers_without_certificate": sum(run["teachers_without_certificate"] for run in all_runs),
        "gunicorn_cpu_ms_per_checkin": round(
            statistics.median(1000 * run["gunicorn_cpu_s"] / max(1, run["checkins"]) for run in runs), 2
        ),
        "postgres_cpu_ms_per_checkin": round(
            statistics.median(1000 * run["postgres_cpu_s"] / max(1, run["checkins"]) for run in runs), 2
        ),
        "worker_cpu_ms_per_checkin": round(
            statistics.median(1000 * run.get("worker_cpu_s", 0.0) / max(1, run["checkins"]) for run in runs), 2
        ),
        "client_cpu_ms_per_checkin": round(
            statistics.median(1000 * run["client_cpu_s"] / max(1, run["checkins"]) for run in runs), 2
        ),
        "machine_busy_pct": round(median_of(runs, "machine_busy_pct"), 1),
        "others_pct": round(median_of(runs, "others_pct"), 1),
        # What the cores could do if the benchmark had them to itself: cores / CPU per check-in
        # (gunicorn + PostgreSQL + client; the server alone when the client runs elsewhere).
        "cpu_bound_capacity_per_s": round(
            statistics.median(
                (os.cpu_count() or 1)
                * run["checkins"]
                / max(1e-9, run["gunicorn_cpu_s"] + run["postgres_cpu_s"] + run["client_cpu_s"])
                for run in runs
            )
        ),
        "cpu_bound_capacity_server_only_per_s": round(
            statistics.median(
                (os.cpu_count() or 1) * run["checkins"] / max(1e-9, run["gunicorn_cpu_s"] + run["postgres_cpu_s"])
                for run in runs
            )
        ),
        "target_met": median_of(runs, "checkins_per_s") >= TARGET_RATE and median_of(runs, "p99_ms") < TARGET_P99_MS,
    }


def print_table(args, all_runs: dict[int, list[dict]], summaries: list[dict]) -> None:
    print(
        f"\nQR check-in load, gunicorn {gunicorn_workers(args)}, {args.concurrency} in flight, "
        f"CONN_MAX_AGE={effective_conn_max_age()}, PostgreSQL, {os.cpu_count()} cores; lecture of {args.lecture_sessions} session(s)"
        + (
            " (each check-in completes it; certificates issued in batches after commit)"
            if args.lecture_sessions == 1
            else ""
        )
    )
    header = (
        f"{'N':>5} {'run':>4} {'ok':>5} {'err':>4} {'left':>5} {'time s':>7} {'chk/s':>6} {'p50':>5} {'p95':>5} {'p99':>5} "
        f"{'scan50':>6} {'cmpl50':>6} {'healthz/s':>9} {'ratio':>6} {'2nd':>7} {'race':>12} {'dup':>4} {'miss':>4} "
        f"{'cert':>5} {'cpu g/pg/w/cl ms':>19} {'busy%':>6} {'other%':>6}"
    )
    print(header)
    print("-" * len(header))
    for size, runs in all_runs.items():
        for run in runs:
            race = "/".join(f"{v}{k[:1]}" for k, v in sorted(run["race_outcomes"].items()))
            cpu = cpu_ms_per(run, run["checkins"])
            print(
                f"{size:>5} {run['run']:>4} {run['checkins']:>5} {sum(run['errors'].values()):>4} {run['not_attempted']:>5} "
                f"{run['elapsed_s']:>7.1f} {run['checkins_per_s']:>6.0f} {fmt_ms(run['p50_ms']):>5} "
                f"{fmt_ms(run['p95_ms']):>5} {fmt_ms(run['p99_ms']):>5} {fmt_ms(run['scan']['p50_ms']):>6} "
                f"{fmt_ms(run['complete']['p50_ms']):>6} {run['ceiling_rps']:>8.0f}{'*' if run['ceiling']['others_pct'] >= args.max_others else ' '} {run['ratio_to_ceiling']:>6.2f} "
                f"{run['second_scans_already']:>3}/{run['second_scans']:<3} {race:>12} {run['duplicates']:>4} "
                f"{run['missing']:>4} {run['certificates']:>5} {cpu:>19} {run['machine_busy_pct']:>6.0f} {run['others_pct']:>5.0f}{'*' if run['others_pct'] >= args.max_others else ' '}"
            )
    print("-" * len(header))
    for s in summaries:
        verdict = "MET" if s["target_met"] else "MISSED"
        print(
            f"N={s['n']}: median of {s['runs_in_medians']} of {s['runs']} runs"
            + (" (all disturbed by other work)" if s["medians_disturbed"] else "")
            + f": {s['checkins_per_s']:.0f} check-ins/s, p50 {s['p50_ms']:.0f} / "
            f"p95 {s['p95_ms']:.0f} / p99 {s['p99_ms']:.0f} ms; /healthz {s['ceiling_rps']:.0f} req/s "
            f"(p99 {s['ceiling_p99_ms']:.0f} ms); ratio {s['ratio_to_ceiling']:.2f}; "
            f"target >= {TARGET_RATE:.0f}/s and p99 < {TARGET_P99_MS:.0f} ms: {verdict}; CPU-bound capacity of the "
            f"{os.cpu_count()} cores {s['cpu_bound_capacity_per_s']}/s ({s['cpu_bound_capacity_server_only_per_s']}/s "
            f"with the client elsewhere); others used {s['others_pct']:.0f}% of the machine; "
            + (
                f"certificates {s['certificates']} ({s['certificate_duplicates']} duplicates, "
                f"{s['teachers_without_certificate']} checked-in teachers without one)"
                if args.lecture_sessions == 1
                else f"certificates {s['certificates']} (none due: the lecture has {args.lecture_sessions} sessions)"
            )
        )
    print(
        "latencies in ms (a check-in = GET /a/<token>/ + GET /attendance/complete/); left = teachers not yet "
        "attempted when the time limit stopped the run; 2nd = second scans answered "
        "已签到; race = outcomes of two phones completing at once (c = checked_in, a = already); dup/miss from the "
        "database; cert = certificates of the lecture issued by the check-ins; cpu = CPU ms per check-in of gunicorn / PostgreSQL / the task worker / this client; busy% of all cores, "
        f"other% = the part used by processes outside the benchmark (* = {args.max_others:.0f}% or more: "
        "left out of the medians unless every run is)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 3000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (client threads)")
    parser.add_argument("--time-limit", type=float, default=60.0, help="hard limit of each measured phase, seconds")
    add_gunicorn_arguments(parser)
    parser.add_argument(
        "--conn-max-age", type=int, default=None, help="CONN_MAX_AGE of the server (default: the production settings')"
    )
    parser.add_argument(
        "--lecture-sessions",
        type=int,
        default=1,
        help="sessions of the lecture programme; 1 = each check-in completes it and issues a certificate",
    )
    parser.add_argument("--ceiling-requests", type=int, default=3000)
    parser.add_argument("--dup-sample", type=int, default=50, help="teachers who scan a second time")
    parser.add_argument("--race", type=int, default=20, help="extra teachers who scan from two phones at once")
    parser.add_argument(
        "--quiet-below", type=float, default=15.0, help="wait until the machine is less busy than this %% ..."
    )
    parser.add_argument(
        "--max-others",
        type=float,
        default=15.0,
        help="runs in which other processes used this %% of the machine or more are left out of the medians",
    )
    parser.add_argument("--quiet-wait", type=float, default=120.0, help="... but at most this many seconds")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="skip the ANALYZE after a run's data is written (statistics as right after the flush)",
    )
    parser.add_argument("--profile", action="store_true", help="cProfile + SQL of in-process check-ins at the end")
    parser.add_argument("--profile-count", type=int, default=200)
    args = parser.parse_args()

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so that leaving production_stack stops the servers
    postgres = None if os.environ.get("DATABASE_URL") else Postgres("checkin", "-c max_connections=200")
    with production_stack("checkin", args, postgres) as (server, meter):
        from django.contrib.auth.hashers import make_password

        password_hash = make_password(PASSWORD)  # hashed once, assigned to every teacher
        all_runs: dict[int, list[dict]] = {}
        for size in args.sizes:
            log(f"N={size}")
            all_runs[size] = [one_run(args, size, run, server.port, meter, password_hash) for run in range(args.repeat)]
        summaries = [summarise(size, runs, args.max_others) for size, runs in all_runs.items()]
        print_table(args, all_runs, summaries)
        if args.profile:
            profile_in_process(args.profile_count, 30, password_hash, args.lecture_sessions)
        largest = summaries[-1]
        summary = {
            **{key: largest[key] for key in ("checkins", "checkins_per_s", "p50_ms", "p95_ms", "p99_ms")},
            "ceiling_rps": largest["ceiling_rps"],
            "ratio_to_ceiling": largest["ratio_to_ceiling"],
            "duplicates": sum(s["duplicates"] for s in summaries),
            "n": largest["n"],
            "target_met": all(s["target_met"] for s in summaries),
            "server": {
                **gunicorn_figures(args),
                "conn_max_age": effective_conn_max_age(),
                "lecture_sessions": args.lecture_sessions,
                "concurrency": args.concurrency,
            },
            "runs": summaries,
        }
        print(json.dumps(summary, ensure_ascii=False))


if __name__ == "__main__":
    main()
