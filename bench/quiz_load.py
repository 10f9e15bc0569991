"""Load benchmark of the online quiz: N teachers at once start an attempt, autosave 20 answers and submit.

The scenario is the acceptance item of the quiz issue: 100 and then 500 concurrent teachers, each
through the JSON API, within a bounded time. Everything runs on this machine over loopback
(127.0.0.1 only):

  PostgreSQL 15   a throwaway cluster started by the script (initdb in a temporary folder, run as the
                  postgres user when the script runs as root; max_connections=300), unless
                  DATABASE_URL is given; migrated, plus createcachetable (the production cache)
  gunicorn        training_site.wsgi with the production settings (5 sync workers by default, sized for
                  2 cores: 2 x cores + 1; CONN_MAX_AGE as production sets it unless --conn-max-age); the
                  only deviations are SECURE_SSL_REDIRECT=false (plain http on loopback, as behind the TLS
                  proxy) and STATIC_ROOT in the temporary folder (collectstatic runs there, the project
                  folder is not touched)
  data            per run, after a flush: the bank from `manage.py seed_exams --no-demo-quizzes`
                  (fixtures/questions/bank/); an organiser; the lecture (courses.services.programme_create and
                  session_create, one session yesterday, the usual completion rule: all sessions attended,
                  quizzes passed, automatic issue) with its after-class quiz of 20 questions (10 single +
                  5 multiple + 5 true/false, open now, max_attempts 1, exams.services.quiz_create); a
                  separate warm-up programme and quiz; N teachers (accounts.services.teachers_bulk_create,
                  one password hashed ONCE and assigned to all in one UPDATE), enrolled in bulk and
                  announced with courses.signals.enrolments_bulk_created as the roster import does, all
                  checked in to the lecture (so a passing submit completes the programme and issues the
                  certificate in that request, and the dashboard's facts follow every graded attempt);
                  each teacher with a DRF token (rest_framework.authtoken, created in bulk) or, with
                  --auth session, a real signed-in Django session (SessionStore encoding with the auth
                  keys) plus a CSRF cookie and X-CSRFToken header. One teacher signs in through
                  /api/auth/token/ (and /accounts/login/ with --auth session) to prove the password is real.
  a teacher       one client thread with one http.client connection (standard library; keep-alive when
                  the server allows it, gunicorn's sync workers close after each response):
                    POST /api/quizzes/{id}/start/      -> 201 with 20 questions and their option ids
                    POST /api/attempts/{id}/answer/    x 20, {"question": id, "options": [option ids]}
                    POST /api/attempts/{id}/submit/    -> 200, status "submitted" and a score
                  a question is answered right (all its correct options, from the key the benchmark reads
                  in the database) with probability --correct-rate (0.8: most teachers pass, as in real
                  life), otherwise with one random option id; --correct-rate 0 sends one random option
                  for every question (hardly anyone passes, no certificate is issued);
                  with --think-ms T, a random pause of 0.5-1.5 x T before every answer (default 0: no
                  thinking, each teacher sends its next request as soon as the previous one is answered)
  concurrency     all N teacher threads are released together by a barrier (N teachers in flight);
                  a hard time limit (--time-limit) stops every teacher; the count is bounded by N
  ceiling         /healthz (one SELECT 1) with N threads for --ceiling-requests requests on the same
                  server just before; with no think time N requests are always in flight, so by Little's
                  law a request waits about N / throughput: the ceiling shows the floor of that
  grading once    after the run: a sample (--dup-sample) submits a second time (must answer the same
                  score and submitted_at), --race extra teachers submit twice at the same instant from two
                  connections (both answers identical); then the database: every teacher holds exactly
                  one attempt for the quiz, status submitted, score and submitted_at set, the 20 answers
                  saved, each item's points set, the score equal to the points recomputed from the key,
                  submitted_at equal to the first submit's (nobody was graded twice), and exactly one
                  certificate if passed, none otherwise

Each concurrency level runs --repeat times (default 3) on fresh data; the table shows every run and the
medians. CPU seconds of the client, the gunicorn workers and PostgreSQL are read from /proc, so the
cost per request on the shared cores is visible, and so is the share of the machine used by processes
outside the benchmark (other% -- runs disturbed by 15% or more are left out of the medians unless every
run is; before each measured phase the script waits up to --quiet-wait s for a quiet machine).
--profile adds the SQL of one autosave and one submit request, their wall and CPU cost and a cProfile,
made in-process through Django's test client (no HTTP, no gunicorn, same settings and database, one
kept connection), and the cost of opening a database connection (what CONN_MAX_AGE=0 adds to every
request).

Run it from the project folder (as root, or as a user who can run initdb):

    .venv/bin/python bench/quiz_load.py                              # 100 then 500 teachers, 3 runs each
    .venv/bin/python bench/quiz_load.py --levels 100 --repeat 1 --profile
    .venv/bin/python bench/quiz_load.py --conn-max-age 0             # a new DB connection per request
    .venv/bin/python bench/quiz_load.py --think-ms 2000              # teachers read before answering
    .venv/bin/python bench/quiz_load.py --correct-rate 0             # one random option per question
    .venv/bin/python bench/quiz_load.py --auth session               # browser-like session + CSRF
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/quiz_load.py

A DATABASE_URL must name a throwaway database: the script migrates it and flushes it before every run.
Target: p95 < 150 ms for autosave and submit at 100 concurrent teachers, every attempt graded exactly
once. The last line of the output is one JSON object with the figures (medians per level).
"""

import argparse
import cProfile
import http.client
import io
import json
import os
import random
import re
import statistics
import threading
import time
from datetime import datetime, timedelta
from datetime import time as dt_time
from decimal import Decimal
from urllib.parse import urlencode

import harness
from harness import (
    HOST,
    PASSWORD,
    Connection,
    CpuMeter,
    add_gunicorn_arguments,
    ceiling_phase,
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
    mark_attended,
    no_nan,
    production_stack,
    profile_listing,
    sign_in,
    undisturbed,
    wait_for_automatic_issue,
    wait_for_quiet,
)

QUESTIONS = {"single_count": 10, "multiple_count": 5, "truefalse_count": 5}
ANSWERS = sum(QUESTIONS.values())
OPERATIONS = ("start", "autosave", "submit")
TARGET_LEVEL = 100
TARGET_P95_MS = 150.0
RUN_DATE = time.strftime("%Y-%m-%d")  # the machine's date, read before Django sets TZ to Asia/Shanghai


# --------------------------------------------------------------------------- PostgreSQL and data


class Postgres(harness.Postgres):
    """harness.Postgres with max_connections=300 that logs row-lock waits and reads them back."""

    def __init__(self):
        # log_lock_waits: every wait for a row lock longer than deadlock_timeout (20 ms) is logged, so the
        # run can tell waiting on a lock from queueing for the CPU.
        super().__init__("quiz", "-c max_connections=300 -c log_lock_waits=on -c deadlock_timeout=20ms")

    def log_size(self) -> int:
        try:
            return (self.dir / "log").stat().st_size
        except OSError:
            return 0

    def lock_waits(self, since: int) -> dict:
        """Lock waits of 20 ms or more logged since a log offset: how many, and the longest acquired."""
        try:
            with (self.dir / "log").open("rb") as log_file:
                log_file.seek(since)
                text = log_file.read().decode("utf-8", "replace")
        except OSError:
            return {"lock_waits": 0, "lock_wait_max_ms": 0.0}
        waits = len(re.findall(r"still waiting for", text))
        acquired = [float(ms) for ms in re.findall(r"acquired \S+ on .*? after ([0-9.]+) ms", text)]
        return {"lock_waits": waits, "lock_wait_max_ms": max(acquired, default=0.0)}


def build_data(groups: dict[str, int], seed: int, password_hash: str) -> dict:
    """Flush; the bank; an organiser; the lecture with its after-class quiz; a warm-up programme; teachers.

    The lecture (one session, yesterday) has the usual completion rule (all sessions attended, quizzes
    passed, automatic issue); every teacher of the lecture attended it, so a passing submit completes
    the programme and asks for the certificate (issued in batches after commit), as after the 2021-09-14 lecture.
    groups maps a group name to a count of teachers; "warmup" teachers go to the warm-up programme,
    the others to the lecture. Returns the quizzes, the answer key and, per group, [(pk, mobile)].
    """
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from courses.models import Kind, Level
    from courses.services import programme_create, session_create
    from exams.models import Option
    from reports.facts import facts_refresh

    call_command("flush", interactive=False, verbosity=0)
    call_command("seed_exams", "--no-demo-quizzes", verbosity=0, stdout=io.StringIO())
    people = make_people(sum(groups.values()), seed)
    now = timezone.now()
    today = timezone.localdate()
    with transaction.atomic():
        organiser = create_organiser()
        programmes, quizzes = {}, {}
        for name, code, title in (
            ("main", f"FZ{today:%Y-%m%d}", "法治政府建设专题培训讲座"),
            ("warmup", f"WU{today:%Y-%m%d}", "预热项目（不计入结果）"),
        ):
            programme = programmes[name] = programme_create(
                actor=organiser,
                code=code,
                title=title,
                level=Level.MUNICIPAL,
                kind=Kind.LECTURE,
                start_date=today - timedelta(days=1),
                end_date=today + timedelta(days=30),
                credit_hours=Decimal("3"),
                audience="全市中小学教师",
            )
            yesterday = today - timedelta(days=1)
            session = session_create(
                actor=organiser,
                programme=programme,
                title="法治政府建设专题讲座",
                starts_at=timezone.make_aware(datetime.combine(yesterday, dt_time(9, 0))),
                ends_at=timezone.make_aware(datetime.combine(yesterday, dt_time(11, 30))),
                venue="许昌市教育局五楼报告厅",
                lecturer="王永浩",
            )
            programme.bench_session = session
            quizzes[name] = open_quiz(organiser, programme, f"{title} 课后测试", now)
        pks = create_teachers(people, password_hash)
        result, start = {"quizzes": quizzes, "groups": {}}, 0
        for name, count in groups.items():
            result["groups"][name] = [(pks[i], people[i]["mobile"]) for i in range(start, start + count)]
            teacher_ids = pks[start : start + count]
            start += count
            programme = programmes["warmup" if name == "warmup" else "main"]
            enrol(programme, teacher_ids)
            mark_attended(programme.bench_session, teacher_ids)
        facts_refresh(programme_ids=[programme.pk for programme in programmes.values()])
    key: dict[int, list[int]] = {}
    for question_id, option_id in Option.objects.filter(is_correct=True).values_list("question_id", "pk"):
        key.setdefault(question_id, []).append(option_id)
    result["key"] = key
    return result


def open_quiz(organiser, programme, title: str, now):
    """A quiz of QUESTIONS open from 5 minutes before `now` for 3 hours: 30 minutes, pass mark 60, one attempt."""
    from exams.services import quiz_create

    return quiz_create(
        actor=organiser,
        programme=programme,
        title=title,
        **QUESTIONS,
        time_limit_minutes=30,
        pass_mark=60,
        max_attempts=1,
        opens_at=now - timedelta(minutes=5),
        closes_at=now + timedelta(hours=3),
    )


def token_headers(teacher_pks: list[int]) -> dict[int, dict]:
    """A DRF token per teacher, created in bulk; returns {teacher pk: request headers}."""
    from rest_framework.authtoken.models import Token

    tokens = [Token(key=Token.generate_key(), user_id=pk) for pk in teacher_pks]
    Token.objects.bulk_create(tokens, batch_size=1000)
    return {token.user_id: {"Authorization": f"Token {token.key}"} for token in tokens}


def session_headers(teacher_pks: list[int]) -> dict[int, dict]:
    """A real signed-in Django session per teacher, written in bulk, plus a CSRF cookie and header."""
    from django.utils.crypto import get_random_string

    headers = {}
    for pk, key in create_sessions(teacher_pks).items():
        csrf = get_random_string(32)
        headers[pk] = {"Cookie": f"sessionid={key}; csrftoken={csrf}", "X-CSRFToken": csrf}
    return headers


def make_credentials(mode: str, teacher_pks: list[int]) -> dict[int, dict]:
    return token_headers(teacher_pks) if mode == "token" else session_headers(teacher_pks)


# --------------------------------------------------------------------------- the client


def submit(connection: Connection, attempt_id: int, headers: dict) -> dict:
    status, body, ms = connection.post_json(f"/api/attempts/{attempt_id}/submit/", headers)
    ok = status == 200 and isinstance(body, dict) and body.get("status") == "submitted" and "score" in body
    return {
        "ok": ok,
        "ms": ms,
        "error": "" if ok else f"submit {status}",
        "score": body.get("score") if isinstance(body, dict) else None,
        "submitted_at": body.get("submitted_at") if isinstance(body, dict) else None,
    }


def teacher_flow(
    port: int, quiz_id: int, headers: dict, *, deadline: float, seed: int, think_ms: float, key, race=False
):
    """One teacher: start, 20 autosaves, submit (twice at the same instant with race=True).

    key (question id -> correct option ids, read from the database by the benchmark, never from the API)
    and its "rate" decide how often the teacher answers right; otherwise one random option is sent.

    Returns {"ok", "error", "attempt", "latencies": {operation: [ms]}, "score", "submitted_at", ...}.
    """
    rng = random.Random(seed)
    connection = Connection(port)
    result = {"ok": False, "error": "", "attempt": None, "latencies": {op: [] for op in OPERATIONS}, "answers": 0}
    try:
        if time.perf_counter() >= deadline:
            result["error"] = "time limit"
            return result
        status, body, ms = connection.post_json(f"/api/quizzes/{quiz_id}/start/", headers)
        if status != 201 or not isinstance(body, dict) or len(body.get("questions") or []) != ANSWERS:
            result["error"] = f"start {status}"
            return result
        result["latencies"]["start"].append(ms)
        attempt_id = result["attempt"] = body["id"]
        for question in body["questions"]:
            if think_ms:
                time.sleep(think_ms * rng.uniform(0.5, 1.5) / 1000)
            if time.perf_counter() >= deadline:
                result["error"] = "time limit"
                return result
            chosen = [rng.choice(question["options"])["id"]]
            if rng.random() < key["rate"]:
                chosen = key["options"][question["id"]]
            payload = {"question": question["id"], "options": chosen}
            status, body, ms = connection.post_json(f"/api/attempts/{attempt_id}/answer/", headers, payload)
            if status != 200:
                result["error"] = f"autosave {status}"
                return result
            result["latencies"]["autosave"].append(ms)
            result["answers"] += 1
        if time.perf_counter() >= deadline:
            result["error"] = "time limit"
            return result
        if race:
            return {**result, **race_submit(port, attempt_id, headers)}
        outcome = submit(connection, attempt_id, headers)
        if outcome["ok"]:
            result["latencies"]["submit"].append(outcome["ms"])
        result.update(ok=outcome["ok"], error=outcome["error"], score=outcome["score"])
        result["submitted_at"] = outcome["submitted_at"]
        return result
    except (OSError, http.client.HTTPException) as error:
        result["error"] = type(error).__name__
        return result
    finally:
        connection.close()


def race_submit(port: int, attempt_id: int, headers: dict) -> dict:
    """Two connections submit the same attempt at the same instant; both must answer the same grading."""
    barrier = threading.Barrier(2)
    answers: list[dict] = [{}, {}]

    def one(index: int) -> None:
        connection = Connection(port)
        try:
            barrier.wait(timeout=30)
            answers[index] = submit(connection, attempt_id, headers)
        except (OSError, http.client.HTTPException, threading.BrokenBarrierError) as error:
            answers[index] = {"ok": False, "error": type(error).__name__}
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(i,), daemon=True) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=90)
    first, second = answers
    same = (
        first.get("ok")
        and second.get("ok")
        and (first["score"], first["submitted_at"]) == (second["score"], second["submitted_at"])
    )
    return {
        "ok": bool(same),
        "error": "" if same else f"race answers differ: {first.get('error') or ''} {second.get('error') or ''}",
        "score": first.get("score"),
        "submitted_at": first.get("submitted_at"),
    }


def run_teachers(port, quiz_id, credentials: dict[int, dict], *, time_limit, seed, think_ms, key, race=False):
    """All teachers at once, one thread each, released by one barrier; returns (results, elapsed seconds)."""
    teachers = list(credentials)
    results: dict[int, dict] = {}
    gate = threading.Barrier(len(teachers) + 1)
    deadline = [0.0]
    finished_at = [0.0]
    lock = threading.Lock()

    def work(pk: int) -> None:
        gate.wait()
        outcome = teacher_flow(
            port, quiz_id, credentials[pk], deadline=deadline[0], seed=seed + pk, think_ms=think_ms, key=key, race=race
        )
        with lock:
            results[pk] = outcome
            finished_at[0] = time.perf_counter()

    threads = [threading.Thread(target=work, args=(pk,), daemon=True) for pk in teachers]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    deadline[0] = started + time_limit
    gate.wait()
    for thread in threads:
        thread.join(timeout=max(1.0, deadline[0] - time.perf_counter() + 90))
    with lock:
        return dict(results), max(finished_at[0] - started, 1e-9)


def summary(values: list[float]) -> dict:
    return {"n": len(values), **latency_summary(values)}


# --------------------------------------------------------------------------- proofs


def sign_in_check(port: int, mobile: str, mode: str) -> bool:
    """The benchmark password is real: /api/auth/token/ (and with sessions /accounts/login/) accept it."""
    connection = Connection(port)
    try:
        form = urlencode({"username": mobile, "password": PASSWORD}).encode()
        status, _, body = connection.request(
            "POST", "/api/auth/token/", {"Content-Type": "application/x-www-form-urlencoded"}, form
        )
        if status != 200 or b'"token"' not in body:
            return False
        return mode != "session" or sign_in(connection, mobile) is not None
    finally:
        connection.close()


def second_submits(port: int, results: dict[int, dict], credentials: dict[int, dict], sample: int) -> dict:
    """A sample of teachers submits again: the answer must repeat the first grading exactly."""
    done = [pk for pk, r in results.items() if r["ok"]]
    chosen = done[:: max(1, len(done) // max(1, sample))][:sample]
    same = 0
    connection = Connection(port)
    try:
        for pk in chosen:
            first = results[pk]
            try:
                again = submit(connection, first["attempt"], credentials[pk])
            except (OSError, http.client.HTTPException):
                continue
            if again["ok"] and (again["score"], again["submitted_at"]) == (first["score"], first["submitted_at"]):
                same += 1
    finally:
        connection.close()
    return {"second_submits": len(chosen), "second_submits_same": same}


def database_check(quiz_id: int, results: dict[int, dict]) -> dict:
    """Exactly one graded attempt per teacher, answers saved, score consistent with the key, graded once."""
    from django.db.models import Count
    from django.utils.dateparse import parse_datetime

    from certificates.models import Certificate
    from exams.models import Attempt, AttemptQuestion, Option

    teachers = list(results)
    wait_for_automatic_issue()
    certificates = dict(
        Certificate.objects.filter(programme__quizzes=quiz_id, teacher_id__in=teachers)
        .values_list("teacher_id")
        .annotate(n=Count("id"))
    )
    per_teacher = dict(
        Attempt.objects.filter(quiz_id=quiz_id, teacher_id__in=teachers)
        .values_list("teacher_id")
        .annotate(n=Count("id"))
    )
    attempts = {a.teacher_id: a for a in Attempt.objects.filter(quiz_id=quiz_id, teacher_id__in=teachers)}
    items: dict[int, list] = {}
    for attempt_id, question_id, selected, points in AttemptQuestion.objects.filter(
        attempt__quiz_id=quiz_id, attempt__teacher_id__in=teachers
    ).values_list("attempt_id", "question_id", "selected", "points"):
        items.setdefault(attempt_id, []).append((question_id, selected, points))
    key: dict[int, set[int]] = {}
    for question_id, option_id in Option.objects.filter(is_correct=True).values_list("question_id", "pk"):
        key.setdefault(question_id, set()).add(option_id)

    problems: dict[str, int] = {}

    def problem(name: str) -> None:
        problems[name] = problems.get(name, 0) + 1

    graded_ok = 0
    for pk in teachers:
        count = per_teacher.get(pk, 0)
        if count != 1:
            problem("missing attempt" if count == 0 else "more than one attempt")
            continue
        attempt = attempts[pk]
        if attempt.status != "submitted" or attempt.score is None or attempt.submitted_at is None:
            problem(f"not graded ({attempt.status})")
            continue
        mine = items.get(attempt.pk, [])
        if len(mine) != ANSWERS or any(not selected for _q, selected, _p in mine):
            problem("answers not all saved")
            continue
        if any(points is None for _q, _s, points in mine):
            problem("item without points")
            continue
        expected = sum(
            Decimal(1) if set(selected) == key.get(question_id, set()) else Decimal(0)
            for question_id, selected, _points in mine
        )
        if (expected / ANSWERS * 100).quantize(Decimal("0.01")) != attempt.score:
            problem("score differs from the key")
            continue
        first = results[pk]
        if not first.get("submitted_at") or parse_datetime(first["submitted_at"]) != attempt.submitted_at:
            problem("submitted_at differs from the first submit")
            continue
        if Decimal(str(first.get("score"))) != attempt.score:
            problem("score differs from the first submit")
            continue
        if certificates.get(pk, 0) != (1 if attempt.passed else 0):
            problem("certificates do not follow the result")  # passed (and attended): exactly one
            continue
        graded_ok += 1
    return {
        "teachers": len(teachers),
        "attempts_in_db": sum(per_teacher.values()),
        "graded_ok": graded_ok,
        "passed": sum(1 for pk in teachers if pk in attempts and attempts[pk].passed),
        "certificates": sum(certificates.values()),
        "problems": problems,
    }


# --------------------------------------------------------------------------- one run


def one_run(args, level: int, run: int, port: int, meter: CpuMeter, password_hash: str, postgres) -> dict:
    warm = max(20, min(level, 50))
    data = build_data(
        {"main": level, "race": args.race, "warmup": warm},
        seed=20261125 + 1000 * level + run,
        password_hash=password_hash,
    )
    quiz, warm_quiz = data["quizzes"]["main"].pk, data["quizzes"]["warmup"].pk
    main = [pk for pk, _ in data["groups"]["main"]]
    race = [pk for pk, _ in data["groups"]["race"]]
    warmup = [pk for pk, _ in data["groups"]["warmup"]]
    credentials = make_credentials(args.auth, main + race + warmup)
    signed_in = sign_in_check(port, data["groups"]["main"][0][1], args.auth)
    key = {"options": data["key"], "rate": args.correct_rate}

    # Warm-up on another programme: every worker imports, compiles and connects before the measured phase.
    run_teachers(port, warm_quiz, {pk: credentials[pk] for pk in warmup}, time_limit=60, seed=7, think_ms=0, key=key)
    wait_for_quiet(threshold_pct=args.quiet_below, max_wait=args.quiet_wait, interval=2.0)
    ceiling = ceiling_phase(
        port,
        requests=max(args.ceiling_requests, 2 * level),
        concurrency=level,
        time_limit=args.time_limit,
        meter=meter,
        timeout=60,
    )
    log(f"  run {run + 1}: /healthz {ceiling['rps']:.0f} req/s with {level} threads; {level} teachers take the quiz")

    wait_for_quiet(threshold_pct=args.quiet_below, max_wait=args.quiet_wait, interval=2.0)
    log_offset = postgres.log_size() if postgres else 0
    before = meter.snapshot()
    results, elapsed = run_teachers(
        port,
        quiz,
        {pk: credentials[pk] for pk in main},
        time_limit=args.time_limit,
        seed=1000 * run,
        think_ms=args.think_ms,
        key=key,
    )
    cpu = CpuMeter.delta(before, meter.snapshot())
    locks = postgres.lock_waits(log_offset) if postgres else {"lock_waits": None, "lock_wait_max_ms": None}
    for pk in main:  # a teacher whose thread never reported (hard limit) counts as not done
        results.setdefault(pk, {"ok": False, "error": "no answer", "latencies": {op: [] for op in OPERATIONS}})
    latencies = {op: [ms for r in results.values() for ms in r["latencies"][op]] for op in OPERATIONS}
    requests = sum(len(values) for values in latencies.values())
    errors: dict[str, int] = {}
    for r in results.values():
        if not r["ok"]:
            errors[r["error"]] = errors.get(r["error"], 0) + 1

    again = second_submits(port, results, credentials, args.dup_sample)
    raced, _ = run_teachers(
        port, quiz, {pk: credentials[pk] for pk in race}, time_limit=120, seed=99, think_ms=0, key=key, race=True
    )
    check = database_check(quiz, results)
    race_check = database_check(quiz, raced) if raced else {"graded_ok": 0, "teachers": 0, "problems": {}}
    attempts = sum(1 for r in results.values() if r["ok"])
    graded_once = (
        check["graded_ok"] == level
        and again["second_submits_same"] == again["second_submits"]
        and sum(1 for r in raced.values() if r["ok"]) == len(race)
        and race_check["graded_ok"] == len(race)
    )
    result = {
        "level": level,
        "run": run + 1,
        "signed_in_through_api": signed_in,
        "attempts": attempts,
        "errors": errors,
        "elapsed_s": elapsed,
        "requests": requests,
        "rps": requests / elapsed,
        **{op: summary(latencies[op]) for op in OPERATIONS},
        "all": summary([ms for values in latencies.values() for ms in values]),
        **cpu,
        "ceiling": ceiling,
        **again,
        "race_teachers": len(race),
        "race_same": sum(1 for r in raced.values() if r["ok"]),
        "race_db_ok": race_check["graded_ok"],
        "db": check,
        "passed": check["passed"],
        "certificates": check["certificates"],
        **locks,
        "graded_once": graded_once,
    }
    log(
        f"  run {run + 1}: {attempts}/{level} teachers in {elapsed:.1f} s, {result['rps']:.0f} req/s; p95 start "
        f"{result['start']['p95_ms']:.0f} autosave {result['autosave']['p95_ms']:.0f} submit "
        f"{result['submit']['p95_ms']:.0f} ms; DB {check['graded_ok']}/{level} graded once, {check['passed']} passed, "
        f"{check['certificates']} certificates {check['problems'] or ''}; other work {cpu['others_pct']:.0f}%"
    )
    return result


# --------------------------------------------------------------------------- profile


def profile_in_process(args, password_hash: str, meter: CpuMeter, top: int = 25) -> None:
    """SQL and cProfile of autosave and submit requests made through Django's test client (no HTTP)."""
    from django.db import connection
    from django.test import Client as DjangoClient
    from django.test.utils import CaptureQueriesContext

    count = args.profile_count
    data = build_data({"profile": count}, seed=4242, password_hash=password_hash)
    quiz = data["quizzes"]["main"].pk
    pks = [pk for pk, _ in data["groups"]["profile"]]
    credentials = make_credentials(args.auth, pks)
    clients = {}
    for pk in pks:
        extra = {f"HTTP_{name.upper().replace('-', '_')}": value for name, value in credentials[pk].items()}
        clients[pk] = DjangoClient(HTTP_HOST=HOST, HTTP_ACCEPT="application/json", **extra)

    def post(pk, path, payload=None):
        response = clients[pk].post(path, data=json.dumps(payload or {}), content_type="application/json")
        return response.status_code, response.json()

    papers = {}
    started = time.perf_counter()
    for pk in pks:
        status, body = post(pk, f"/api/quizzes/{quiz}/start/")
        assert status == 201, (status, body)
        papers[pk] = body
    start_ms = 1000 * (time.perf_counter() - started) / count
    rng = random.Random(5)

    def answer(pk, question):
        chosen = [rng.choice(question["options"])["id"]]
        if rng.random() < args.correct_rate:
            chosen = data["key"][question["id"]]
        payload = {"question": question["id"], "options": chosen}
        status, body = post(pk, f"/api/attempts/{papers[pk]['id']}/answer/", payload)
        assert status == 200, (status, body)

    for title, action in (
        ("autosave", lambda: answer(pks[0], papers[pks[0]]["questions"][0])),
        ("submit", lambda: post(pks[0], f"/api/attempts/{papers[pks[0]]['id']}/submit/")),
    ):
        if title == "submit":
            for question in papers[pks[0]]["questions"][1:]:
                answer(pks[0], question)
        with CaptureQueriesContext(connection) as queries:
            action()
        total = sum(float(q["time"]) for q in queries.captured_queries)
        print(f"\n--- SQL of one {title} request: {len(queries.captured_queries)} statements, {1000 * total:.1f} ms")
        for query in queries.captured_queries:
            print(f"  {query['time']:>6}s  {query['sql'][:160]}")

    # What CONN_MAX_AGE=0 adds to every request: a new PostgreSQL connection (a backend forked for it).
    before = meter.snapshot()
    started = time.perf_counter()
    for _ in range(100):
        connection.close()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    connect_ms = 1000 * (time.perf_counter() - started) / 100
    cpu = CpuMeter.delta(before, meter.snapshot())
    print(
        f"\n--- a new database connection + SELECT 1 (what CONN_MAX_AGE=0 adds to every request): {connect_ms:.2f} ms "
        f"wall, {10 * cpu['client_cpu_s']:.2f} ms CPU in Django, {10 * cpu['postgres_cpu_s']:.2f} ms CPU in PostgreSQL"
    )

    def requests_of(title: str, teachers: list[int]) -> int:
        calls = 0
        for pk in teachers:
            if title == "autosave":
                for question in papers[pk]["questions"]:
                    answer(pk, question)
                    calls += 1
            else:
                status, body = post(pk, f"/api/attempts/{papers[pk]['id']}/submit/")
                assert status == 200 and body["status"] == "submitted", (status, body)
                calls += 1
        return calls

    # Half the teachers timed without the profiler (wall and CPU of Django and PostgreSQL), half profiled.
    timed, profiled = pks[1 : 1 + count // 2], pks[1 + count // 2 :]
    for title in ("autosave", "submit"):
        before = meter.snapshot()
        started = time.perf_counter()
        calls = requests_of(title, timed)
        elapsed = time.perf_counter() - started
        cpu = CpuMeter.delta(before, meter.snapshot())
        print(
            f"\n--- in-process ({args.auth} auth, test client, no HTTP, one kept database connection): {calls} {title} "
            f"requests, {1000 * elapsed / calls:.2f} ms wall each, CPU {1000 * cpu['client_cpu_s'] / calls:.2f} ms "
            f"in Django + {1000 * cpu['postgres_cpu_s'] / calls:.2f} ms in PostgreSQL each (machine busy "
            f"{cpu['machine_busy_pct']:.0f}%; start took {start_ms:.2f} ms wall each)"
        )
        profiler = cProfile.Profile()
        profiler.enable()
        requests_of(title, profiled)
        profiler.disable()
        for order in ("cumulative", "tottime"):
            print(f"\n--- cProfile of {title}, top {top} by {order}")
            print(profile_listing(profiler, order, top))


# --------------------------------------------------------------------------- output


def med(values) -> float:
    values = [v for v in values if v == v]
    return round(statistics.median(values), 1) if values else float("nan")


def summarise(level: int, all_runs: list[dict], max_others: float) -> dict:
    """Medians over the runs not disturbed by other work on the machine (all runs if every one was);
    the correctness figures (graded once, errors, passes, certificates) over every run."""
    runs = undisturbed(all_runs, max_others)
    ceilings = undisturbed([r["ceiling"] for r in all_runs], max_others)
    return {
        "level": level,
        "runs": len(runs),
        "runs_total": len(all_runs),
        "medians_disturbed": all(r["others_pct"] >= max_others for r in all_runs),
        "others_pct": med(r["others_pct"] for r in runs),
        "attempts": int(statistics.median(r["attempts"] for r in runs)),
        "rps": med(r["rps"] for r in runs),
        "elapsed_s": med(r["elapsed_s"] for r in runs),
        **{
            op: {f"p{p}_ms": med(r[op][f"p{p}_ms"] for r in runs) for p in (50, 95, 99)} | {"n": runs[0][op]["n"]}
            for op in OPERATIONS
        },
        "ceiling_rps": med(c["rps"] for c in ceilings),
        "ceiling_p95_ms": med(c["p95_ms"] for c in ceilings),
        "errors": sum(sum(r["errors"].values()) for r in all_runs),
        "graded_once": all(r["graded_once"] for r in all_runs),
        "all_attempts_done": all(r["attempts"] == level for r in all_runs),
        "passed": sum(r["passed"] for r in all_runs),
        "lock_waits": med(r["lock_waits"] for r in runs) if runs[0]["lock_waits"] is not None else None,
        "certificates": sum(r["certificates"] for r in all_runs),
        "second_submits": sum(r["second_submits"] for r in all_runs),
        "second_submits_same": sum(r["second_submits_same"] for r in all_runs),
        "race_pairs": sum(r["race_teachers"] for r in all_runs),
        "race_same": sum(r["race_same"] for r in all_runs),
        "gunicorn_cpu_ms_per_request": med(1000 * r["gunicorn_cpu_s"] / max(1, r["requests"]) for r in runs),
        "postgres_cpu_ms_per_request": med(1000 * r["postgres_cpu_s"] / max(1, r["requests"]) for r in runs),
        "client_cpu_ms_per_request": med(1000 * r["client_cpu_s"] / max(1, r["requests"]) for r in runs),
        "machine_busy_pct": med(r["machine_busy_pct"] for r in runs),
    }


def target_met(summaries: list[dict]) -> bool:
    at = [s for s in summaries if s["level"] == TARGET_LEVEL]
    latency = all(s["autosave"]["p95_ms"] < TARGET_P95_MS and s["submit"]["p95_ms"] < TARGET_P95_MS for s in at)
    return bool(at) and latency and all(s["graded_once"] and s["all_attempts_done"] for s in summaries)


def print_table(args, all_runs: dict[int, list[dict]], summaries: list[dict]) -> None:
    print(
        f"\nQuiz load: gunicorn {gunicorn_workers(args)}, CONN_MAX_AGE={effective_conn_max_age()}, {args.auth} auth, "
        f"think {args.think_ms:.0f} ms, right answers {100 * args.correct_rate:.0f}%, PostgreSQL 15, "
        f"{os.cpu_count()} cores, {ANSWERS} answers per teacher"
    )
    header = (
        f"{'N':>4} {'run':>3} {'done':>5} {'err':>4} {'time s':>6} {'req/s':>5} | {'start p50/p95/p99':>17} | "
        f"{'autosave p50/p95/p99':>20} | {'submit p50/p95/p99':>18} | {'healthz/s':>9} {'2nd':>7} {'race':>7} "
        f"{'DB once':>8} {'pass':>4} {'cert':>4} {'locks':>10} | {'cpu ms g/pg/w/cl':>17} {'busy%':>5} {'other%':>6}"
    )
    print(header)
    print("-" * len(header))

    def triple(stats: dict) -> str:
        return f"{fmt_ms(stats['p50_ms'])}/{fmt_ms(stats['p95_ms'])}/{fmt_ms(stats['p99_ms'])}"

    def locks(r: dict) -> str:
        if r["lock_waits"] is None:
            return "-"
        return f"{r['lock_waits']}/{r['lock_wait_max_ms']:.0f}"

    def mark(phase: dict) -> str:
        return "*" if phase["others_pct"] >= args.max_others else " "

    for level, runs in all_runs.items():
        for r in runs:
            cpu = cpu_ms_per(r, r["requests"])
            print(
                f"{level:>4} {r['run']:>3} {r['attempts']:>5} {sum(r['errors'].values()):>4} {r['elapsed_s']:>6.1f} "
                f"{r['rps']:>5.0f} | {triple(r['start']):>17} | {triple(r['autosave']):>20} | "
                f"{triple(r['submit']):>18} | {r['ceiling']['rps']:>8.0f}{mark(r['ceiling'])} "
                f"{r['second_submits_same']:>3}/{r['second_submits']:<3} {r['race_same']:>3}/{r['race_teachers']:<3} "
                f"{r['db']['graded_ok']:>4}/{level:<3} {r['passed']:>4} {r['certificates']:>4} {locks(r):>10} | {cpu:>17} "
                f"{r['machine_busy_pct']:>5.0f} {r['others_pct']:>5.0f}{mark(r)}"
            )
    print("-" * len(header))
    for s in summaries:
        print(
            f"N={s['level']}: median of {s['runs']} of {s['runs_total']} runs"
            + (" (all disturbed by other work)" if s["medians_disturbed"] else "")
            + f": {s['attempts']} attempts, {s['rps']:.0f} req/s; "
            f"p50/p95/p99 ms start {s['start']['p50_ms']:.0f}/{s['start']['p95_ms']:.0f}/{s['start']['p99_ms']:.0f}, "
            f"autosave {s['autosave']['p50_ms']:.0f}/{s['autosave']['p95_ms']:.0f}/{s['autosave']['p99_ms']:.0f}, "
            f"submit {s['submit']['p50_ms']:.0f}/{s['submit']['p95_ms']:.0f}/{s['submit']['p99_ms']:.0f}; "
            f"/healthz {s['ceiling_rps']:.0f} req/s; graded once: {'yes' if s['graded_once'] else 'NO'}"
        )
    print(
        f"target (N={TARGET_LEVEL}: autosave and submit p95 < {TARGET_P95_MS:.0f} ms; every attempt graded once): "
        f"{'MET' if target_met(summaries) else 'MISSED'}"
    )
    print(
        "latencies in ms per request; done = teachers who submitted; 2nd = second submits answering the same "
        "grading; race = teachers whose two simultaneous submits answered the same grading; DB once = teachers "
        "with exactly one attempt, submitted, all answers and points saved, score = key, submitted_at = first "
        "submit's, certificate iff passed; pass = teachers who passed; cert = certificates issued by the submits; "
        "locks = row-lock waits of 20 ms or more in the measured phase / the longest acquired, ms (PostgreSQL's log); "
        "cpu = CPU ms per request of gunicorn / PostgreSQL / the task worker / this client; busy% of all cores; other% = the part "
        f"used by processes outside the benchmark (* = {args.max_others:.0f}% or more: left out of the medians)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--levels", type=int, nargs="+", default=[100, 500], help="concurrent teachers")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=300.0, help="hard limit of each measured phase, s")
    parser.add_argument("--think-ms", type=float, default=0.0, help="mean pause before each answer, ms")
    parser.add_argument("--auth", choices=["token", "session"], default="token")
    add_gunicorn_arguments(parser)
    parser.add_argument(
        "--conn-max-age", type=int, default=None, help="CONN_MAX_AGE of the server (default: the production settings')"
    )
    parser.add_argument(
        "--correct-rate", type=float, default=0.8, help="share of questions answered right (0: one random option)"
    )
    parser.add_argument("--quiet-below", type=float, default=15.0, help="wait until the machine is less busy (%%)")
    parser.add_argument("--quiet-wait", type=float, default=120.0, help="... but at most this many seconds")
    parser.add_argument(
        "--max-others", type=float, default=15.0, help="runs where other processes used this %% or more: not in medians"
    )
    parser.add_argument("--ceiling-requests", type=int, default=2000)
    parser.add_argument("--dup-sample", type=int, default=50, help="teachers who submit a second time")
    parser.add_argument("--race", type=int, default=20, help="extra teachers who submit twice at the same instant")
    parser.add_argument("--profile", action="store_true", help="SQL + cProfile of in-process autosave and submit")
    parser.add_argument("--profile-count", type=int, default=101, help="teachers in the profile (20 autosaves each)")
    args = parser.parse_args()

    postgres = None if os.environ.get("DATABASE_URL") else Postgres()
    with production_stack("quiz", args, postgres) as (server, meter):
        from django.contrib.auth.hashers import make_password

        password_hash = make_password(PASSWORD)  # hashed once, assigned to every teacher
        all_runs: dict[int, list[dict]] = {}
        for level in args.levels:
            log(f"N={level} concurrent teachers")
            all_runs[level] = [
                one_run(args, level, run, server.port, meter, password_hash, postgres) for run in range(args.repeat)
            ]
        summaries = [summarise(level, runs, args.max_others) for level, runs in all_runs.items()]
        print_table(args, all_runs, summaries)
        if args.profile:
            profile_in_process(args, password_hash, meter)
        figures = {
            "date": RUN_DATE,
            "cores": os.cpu_count(),
            "server": {
                **gunicorn_figures(args),
                "conn_max_age": effective_conn_max_age(),
                "auth": args.auth,
                "think_ms": args.think_ms,
                "correct_rate": args.correct_rate,
            },
            "levels": {
                str(s["level"]): {
                    "rps": s["rps"],
                    **{op: {k: s[op][k] for k in ("p50_ms", "p95_ms", "p99_ms")} for op in OPERATIONS},
                    "attempts": s["attempts"],
                    "graded_once": s["graded_once"],
                    "errors": s["errors"],
                    "elapsed_s": s["elapsed_s"],
                    "passed": s["passed"],
                    "certificates": s["certificates"],
                    "lock_waits_20ms": s["lock_waits"],
                    "healthz_rps": s["ceiling_rps"],
                    "runs": s["runs"],
                    "runs_total": s["runs_total"],
                    "others_pct": s["others_pct"],
                    "medians_disturbed": s["medians_disturbed"],
                }
                for s in summaries
            },
            "target_p95_ms": TARGET_P95_MS,
            "target_met": target_met(summaries),
        }
        print(json.dumps(no_nan(figures), ensure_ascii=False))


if __name__ == "__main__":
    main()
