"""Benchmark of the bureau's dashboard at 3,000 / 30,000 / 300,000 enrolments on PostgreSQL.

What is measured: the two requests that serve the bureau's figures for a year,

  page   GET /reports/?year=Y              (certificates.views.dashboard_view: reports.summary, the
                                             not-completed list paginated by 50, the template)
  api    GET /api/reports/summary/?year=Y  (certificates.api.SummaryView: reports.summary, DRF JSON)

each made IN-PROCESS with Django's test Client (no HTTP server, no network; the client keeps one
database connection across requests, so connection set-up is not in the figures), signed in as a
bureau user with force_login. Per size and request: --warmup requests (default 2) not counted, then
--requests (default 15) timed with time.perf_counter around client.get() — fewer, never under
--min-requests (5), when the last warm-up shows they would take more than --budget seconds (120);
the number timed is reported as n. The median, p95 (nearest rank) and max are reported, with the number of SQL queries per request counted by
django.test.utils.CaptureQueriesContext and the time those queries took in the database.

Data, per size, after TRUNCATE … RESTART IDENTITY CASCADE (so each size is built fresh), made in
raw SQL with INSERT … SELECT generate_series in one transaction, deterministic (setseed), then
VACUUM ANALYZE:

  teachers      N / 2.5, role 'teacher', unique 18-character ID numbers (4110 + 13 digits + X; the
                check digit is not valid, the benchmark does not need it) and unique mobiles, spread
                over the 10 districts (skewed) and ~60 schools per district
  programmes    30 (3k), 55 (30k), 99 (300k), all in year Y, cycling over the five levels and six
                organising units, 1-4 weekly sessions each; a third of them have a quiz
  enrolments    exactly N, each teacher in 2-3 programmes (skewed sizes), ~2% cancelled
  check-ins     per active enrolment and session: 88.5% present, 4.5% late (93% attended),
                1.5% excused, the rest no record
  attempts      quiz programmes: 95% of trainees take the quiz, 90% pass at the first attempt,
                half of those who fail try again (80% pass)
  certificates  85% of active enrolments (issued 3 days after the programme ends), 0.5% of them
                revoked and half of those re-issued as version 2 under the same serial
  also          a completion rule per programme, the serial counter, one bureau user

At the largest size, the queries of the last timed page and API requests are printed with their
times, and the slowest (--explain, default 4) are run again under EXPLAIN (ANALYZE, BUFFERS); their
plans are printed before the table.

PostgreSQL: a throwaway PostgreSQL 15 cluster, bench/harness.py's Postgres as in bench/checkin_load.py
and bench/quiz_load.py (initdb -A trust in a temporary folder, run as the postgres user when the script
runs as root, listening on 127.0.0.1 only, stopped and removed in `finally`), unless DATABASE_URL is
given: it must name a THROWAWAY database, since the script migrates it and truncates its tables.
Settings: training_site.settings.base with DEBUG=false.

Run it from the project folder (as root, or as a user who can run initdb):

    .venv/bin/python bench/dashboard.py                          # 3000, 30000, 300000 enrolments
    .venv/bin/python bench/dashboard.py --sizes 3000,30000 --requests 10 --explain 0
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench .venv/bin/python bench/dashboard.py

Targets: the number of queries per request is the same at every size, and the page answers in
< 300 ms (median) at 300,000 enrolments. The last line of the output is one JSON object with the
figures per size; a readable table precedes it.
"""

import argparse
import json
import os
import statistics
import sys
import time
import warnings

from harness import HOST, PROJECT, Postgres, percentile, setup_base_django

TARGET_PAGE_MS = 300.0
TARGET_SIZE = 300_000
DEFAULT_SIZES = "3000,30000,300000"
FACTS_SECONDS: dict[int, float] = {}


# --------------------------------------------------------------------------- data

DISTRICTS = [
    "魏都区",
    "建安区",
    "禹州市",
    "长葛市",
    "鄢陵县",
    "襄城县",
    "许昌经济技术开发区",
    "东城区",
    "城乡一体化示范区",
    "市直",
]
UNITS = ["教师工作科", "政策法规科", "基础教育科", "职业教育与成人教育科", "许昌市教育科学研究室", "许昌市电化教育馆"]
LEVEL_CYCLE = [
    "municipal",
    "county",
    "school",
    "provincial",
    "municipal",
    "county",
    "school",
    "national",
    "county",
    "school",
]
LEVEL_NAMES = {"national": "国培", "provincial": "省培", "municipal": "市培", "county": "县培", "school": "校本研修"}
KINDS = ["lecture", "intensive", "online", "blended"]


def sql_array(values: list[str]) -> str:
    return "(ARRAY[" + ",".join("'" + v.replace("'", "''") + "'" for v in values) + "])"


def programme_count(n: int) -> int:
    return max(30, min(100, round(30 * (n / 3000) ** 0.26)))


def generate(n: int, year: int) -> dict:
    """Build the data for one size from scratch; returns the row counts."""
    from django.db import connection, transaction

    teachers = max(1, round(n / 2.5))
    programmes = programme_count(n)
    step = programmes // 3
    tz = "Asia/Shanghai"
    statements = [
        "TRUNCATE accounts_user, accounts_organisingunit, courses_programme, certificates_serialcounter, django_session "
        "RESTART IDENTITY CASCADE",
        "SELECT setseed(0.20261125)",
        f"""INSERT INTO accounts_organisingunit (name, short_name)
            SELECT u, '' FROM unnest({sql_array(UNITS)}) WITH ORDINALITY AS t(u, i) ORDER BY i""",
        # Teachers: ids 1..T (fresh identity, ordered insert).
        f"""INSERT INTO accounts_user (password, is_superuser, name, role, id_number, mobile, school, district,
                subject, title, must_change_password, is_active, is_staff, date_joined)
            SELECT '!bench-unusable', false,
                   (ARRAY['王','李','张','刘','陈','杨','赵','黄','周','吴','徐','孙'])[1 + g % 12]
                   || (ARRAY['晓','建','丽','志','海','春','秀','国','文','红'])[1 + (g / 12) % 10]
                   || (ARRAY['明','华','芳','军','敏','静','强','磊','洋','艳','勇','娟'])[1 + (g / 120) % 12],
                   'teacher',
                   '4110' || lpad(g::text, 13, '0') || 'X',
                   '139' || lpad(g::text, 8, '0'),
                   d || '第' || (1 + floor(random() * 30)::int) || (CASE WHEN g % 3 = 0 THEN '中学' ELSE '小学' END),
                   d,
                   (ARRAY['语文','数学','英语','道德与法治','物理','化学','历史','体育'])[1 + g % 8],
                   (ARRAY['二级教师','一级教师','高级教师'])[1 + g % 3],
                   false, true, false, now()
            FROM (SELECT g, {sql_array(DISTRICTS)}[1 + floor(10 * power(random(), 1.4))::int] AS d
                  FROM generate_series(1, {teachers}) g) s
            ORDER BY g""",
        # Programmes: ids 1..P, all in the year, 1-4 weekly sessions.
        f"""INSERT INTO courses_programme (code, title, level, kind, year, start_date, end_date, credit_hours,
                capacity, self_enrol_open, audience, description, created_at, unit_id, allow_walk_in)
            SELECT 'BJ{year}-' || lpad(p::text, 3, '0'),
                   CASE lv {" ".join(f"WHEN '{k}' THEN '{v}'" for k, v in LEVEL_NAMES.items())} END
                   || '教师法治教育培训（第' || p || '期）',
                   lv, {sql_array(KINDS)}[1 + p % 4], {year},
                   make_date({year}, 1, 8) + (p * 347) % 330,
                   make_date({year}, 1, 8) + (p * 347) % 330 + (p % 4) * 7,
                   3 * (1 + p % 4), NULL, false, '全市中小学教师', '', now(), 1 + p % 6, false
            FROM (SELECT p, {sql_array(LEVEL_CYCLE)}[1 + p % 10] AS lv FROM generate_series(1, {programmes}) p) s
            ORDER BY p""",
        f"""INSERT INTO courses_session (title, starts_at, ends_at, venue, lecturer, lecturer_title, programme_id)
            SELECT '第' || (k + 1) || '讲',
                   ((p.start_date + 7 * k) + time '09:00') AT TIME ZONE '{tz}',
                   ((p.start_date + 7 * k) + time '11:30') AT TIME ZONE '{tz}',
                   '许昌市教育局报告厅', '主讲人', '', p.id
            FROM courses_programme p CROSS JOIN LATERAL generate_series(0, (p.id % 4)::int) k
            ORDER BY p.id, k""",
        # Enrolments: exactly N; teacher t takes programmes base(t), base(t)+P/3, base(t)+2P/3 (distinct).
        f"""INSERT INTO courses_enrolment (source, status, enrolled_at, teacher_id, programme_id)
            SELECT CASE WHEN random() < 0.8 THEN 'import' ELSE 'self' END,
                   CASE WHEN random() < 0.02 THEN 'cancelled' ELSE 'enrolled' END,
                   (pr.start_date - 10) + time '10:00', e.t, pr.id
            FROM (SELECT i % {teachers} + 1 AS t,
                         (floor({programmes} * power((((i % {teachers} + 1)::bigint * 2654435761) % 1000003)
                                / 1000003.0, 1.6))::int + (i / {teachers}) * {step}) % {programmes} + 1 AS p
                  FROM generate_series(0, {n - 1}) i) e
            JOIN courses_programme pr ON pr.id = e.p
            ORDER BY e.p, e.t""",
        """INSERT INTO attendance_checkin (status, method, checked_in_at, checked_out_at, ip_address, user_agent,
                device_id, flag, note, created_at, session_id, teacher_id)
            SELECT CASE WHEN x < 0.885 THEN 'present' WHEN x < 0.93 THEN 'late' ELSE 'excused' END,
                   CASE WHEN x < 0.93 THEN 'qr' ELSE 'manual' END,
                   CASE WHEN x < 0.93 THEN starts_at + (CASE WHEN x < 0.885 THEN -1 ELSE 1 END)
                        * ((x * 1000)::int % 25 + 1) * interval '1 minute' END,
                   NULL, NULL, '', '', '', '', starts_at, sid, tid
            FROM (SELECT random() AS x, s.starts_at, s.id AS sid, e.teacher_id AS tid
                  FROM courses_enrolment e JOIN courses_session s ON s.programme_id = e.programme_id
                  WHERE e.status = 'enrolled') c
            WHERE x < 0.945
            ORDER BY sid, tid""",
        f"""INSERT INTO exams_quiz (title, single_count, multiple_count, truefalse_count, laws, draw_rules, avoid_seen,
                time_limit_minutes, pass_mark, max_attempts, score_policy, opens_at, closes_at, shuffle_questions,
                shuffle_options, review_policy, multiple_rule, programme_id)
            SELECT '课后法治测试', 10, 5, 5, '[]'::jsonb, '[]'::jsonb, false, 30, 60, 3, 'best',
                   (end_date + time '12:00') AT TIME ZONE '{tz}', (end_date + 7 + time '22:00') AT TIME ZONE '{tz}',
                   true, true, 'after_submit', 'all_or_nothing', id
            FROM courses_programme WHERE id % 3 = 0 ORDER BY id""",
        """CREATE TEMPORARY TABLE bench_take ON COMMIT DROP AS
            SELECT q.id AS quiz_id, e.teacher_id, q.opens_at + (random() * 3000) * interval '1 minute' AS started,
                   random() AS x, random() AS y
            FROM courses_enrolment e JOIN exams_quiz q ON q.programme_id = e.programme_id
            WHERE e.status = 'enrolled'""",
        """INSERT INTO exams_attempt (number, started_at, deadline, submitted_at, status, score, passed,
                teacher_id, quiz_id)
            SELECT 1, started, started + interval '30 minutes', started + (6 + y * 20) * interval '1 minute',
                   'submitted', CASE WHEN x < 0.9 * 0.95 THEN 60 + round(y * 40) ELSE 20 + round(y * 39) END,
                   x < 0.9 * 0.95, teacher_id, quiz_id
            FROM bench_take WHERE x < 0.95 ORDER BY quiz_id, teacher_id""",
        """INSERT INTO exams_attempt (number, started_at, deadline, submitted_at, status, score, passed,
                teacher_id, quiz_id)
            SELECT 2, started + interval '1 day', started + interval '1 day 30 minutes',
                   started + interval '1 day 20 minutes', 'submitted',
                   CASE WHEN y < 0.8 THEN 60 + round(y * 50) ELSE 30 + round(y * 29) END,
                   y < 0.8, teacher_id, quiz_id
            FROM bench_take WHERE x >= 0.9 * 0.95 AND x < 0.95 AND random() < 0.5 ORDER BY quiz_id, teacher_id""",
        """CREATE TEMPORARY TABLE bench_cert ON COMMIT DROP AS
            SELECT row_number() OVER (ORDER BY p.end_date, p.id, e.teacher_id) AS num, e.teacher_id, p.id AS pid,
                   random() AS r
            FROM courses_enrolment e JOIN courses_programme p ON p.id = e.programme_id
            WHERE e.status = 'enrolled' AND random() < 0.85""",
        f"""INSERT INTO certificates_certificate (serial, serial_year, serial_number, version, verification_code,
                status, trainee_name, programme_title, level, unit_name, start_date, end_date, credit_hours,
                issued_at, revoked_at, revoke_reason, issued_by_id, programme_id, revoked_by_id, teacher_id)
            SELECT '许教培〔{year}〕第' || lpad(c.num::text, 4, '0') || '号', {year}, c.num, 1,
                   md5('v1-' || c.num), CASE WHEN c.r < 0.005 THEN 'revoked' ELSE 'valid' END,
                   u.name, p.title, p.level, o.name, p.start_date, p.end_date, p.credit_hours,
                   (p.end_date + 3 + time '10:00') AT TIME ZONE '{tz}',
                   CASE WHEN c.r < 0.005 THEN (p.end_date + 20 + time '10:00') AT TIME ZONE '{tz}' END,
                   CASE WHEN c.r < 0.005 THEN '信息有误，更正后重新颁发' ELSE '' END,
                   NULL, p.id, NULL, c.teacher_id
            FROM bench_cert c JOIN courses_programme p ON p.id = c.pid JOIN accounts_user u ON u.id = c.teacher_id
            JOIN accounts_organisingunit o ON o.id = p.unit_id
            ORDER BY c.num""",
        """INSERT INTO certificates_certificate (serial, serial_year, serial_number, version, verification_code,
                status, trainee_name, programme_title, level, unit_name, start_date, end_date, credit_hours,
                issued_at, revoked_at, revoke_reason, issued_by_id, programme_id, revoked_by_id, teacher_id)
            SELECT serial, serial_year, serial_number, 2, md5('v2-' || serial_number), 'valid', trainee_name,
                   programme_title, level, unit_name, start_date, end_date, credit_hours,
                   revoked_at + interval '1 hour', NULL, '', NULL, programme_id, NULL, teacher_id
            FROM certificates_certificate WHERE status = 'revoked' AND serial_number % 2 = 0 ORDER BY id""",
        """INSERT INTO certificates_completionrule (attendance_mode, attendance_ratio, minimum_minutes, quiz_required,
                auto_issue, programme_id)
            SELECT CASE WHEN id % 4 < 2 THEN 'all' ELSE 'ratio' END, 75, 0, true, true, id
            FROM courses_programme ORDER BY id""",
        f"""INSERT INTO certificates_serialcounter (year, last_number)
            SELECT {year}, coalesce(max(serial_number), 0) FROM certificates_certificate""",
    ]
    with transaction.atomic(), connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    from accounts.models import Role, User

    User.objects.create_user(username="bench-bureau", password=None, name="教育局（基准）", role=Role.BUREAU)
    tables = [
        "accounts_user",
        "accounts_organisingunit",
        "courses_programme",
        "courses_session",
        "courses_enrolment",
        "attendance_checkin",
        "exams_quiz",
        "exams_attempt",
        "certificates_certificate",
        "certificates_completionrule",
        "certificates_enrolmentfact",
    ]
    # The raw inserts above send no signals: build the dashboard's facts as a deployment would
    # after a bulk load (manage.py shell -c "from reports.facts import facts_refresh; facts_refresh()").
    from reports.facts import facts_refresh

    facts_started = time.perf_counter()
    facts_refresh()
    FACTS_SECONDS[n] = time.perf_counter() - facts_started
    from django.core.cache import cache

    cache.clear()  # the dashboard caches a view's figures (REPORT_CACHE_SECONDS); start each size cold
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) " + ", ".join(tables))
        counts = {}
        for table in tables:
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM courses_enrolment WHERE status = 'enrolled'")
        counts["active_enrolments"] = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM certificates_certificate WHERE status = 'revoked'")
        counts["revoked"] = cursor.fetchone()[0]
    return counts


# --------------------------------------------------------------------------- measuring


def measure(client, url: str, warmup: int, requests: int, budget: float, minimum: int) -> dict:
    """Warm-ups, then `requests` timed requests — fewer (not under `minimum`) when they would take
    longer than `budget` seconds, judged from the last warm-up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def one() -> tuple[float, list[dict], object]:
        with CaptureQueriesContext(connection) as ctx:
            started = time.perf_counter()
            response = client.get(url)
            elapsed = time.perf_counter() - started
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")
        return elapsed, ctx.captured_queries, response

    elapsed = 0.0
    for _ in range(warmup):
        elapsed, _queries, _response = one()
    if warmup and elapsed * requests > budget:
        requests = max(minimum, int(budget / elapsed))
    latencies, counts, db_times = [], [], []
    for _ in range(requests):
        elapsed, queries, response = one()
        latencies.append(elapsed * 1000)
        counts.append(len(queries))
        db_times.append(sum(float(q["time"]) for q in queries) * 1000)
    return {
        "n": requests,
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "max_ms": round(max(latencies), 1),
        "db_ms_median": round(statistics.median(db_times), 1),
        "queries": sorted(set(counts)),
        "response": response,
        "last_queries": [{"sql": q["sql"], "ms": float(q["time"]) * 1000, "url": url} for q in queries],
    }


def print_queries(queries: list[dict]) -> None:
    """Each query of one request with its time, in order."""
    print(f"\n--- the {len(queries)} queries of the last {queries[0]['url']} request ---")
    for query in queries:
        print(f"{query['ms']:9.1f} ms  {query['sql'][:110]}")


def explain(queries: list[dict], top: int, plan_lines: int) -> list[dict]:
    """Run the slowest distinct queries again under EXPLAIN (ANALYZE, BUFFERS); print their plans."""
    from django.db import connection

    seen, chosen = set(), []
    for query in sorted(queries, key=lambda q: -q["ms"]):
        if query["sql"] in seen:
            continue
        seen.add(query["sql"])
        chosen.append(query)
        if len(chosen) == top:
            break
    out = []
    for number, query in enumerate(chosen, 1):
        with connection.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + query["sql"])
            plan = [row[0] for row in cursor.fetchall()]
        total = next((line for line in reversed(plan) if line.startswith("Execution Time")), "")
        print(f"\n--- slow query {number}: {query['ms']:.0f} ms in {query['url']} ---")
        print(query["sql"][:1500] + (" …" if len(query["sql"]) > 1500 else ""))
        print("EXPLAIN (ANALYZE, BUFFERS):")
        shown = plan if len(plan) <= plan_lines else [*plan[: plan_lines - 2], "   …", plan[-1]]
        print("\n".join(shown))
        out.append({"ms": round(query["ms"], 1), "url": query["url"], "sql": query["sql"][:300], "plan_total": total})
    return out


def run_size(n: int, args, log) -> dict:
    from django.test import Client

    from accounts.models import User

    started = time.perf_counter()
    counts = generate(n, args.year)
    load_s = time.perf_counter() - started
    log(f"size {n}: facts table built in {FACTS_SECONDS.get(n, 0):.1f} s (reports.facts.facts_refresh)")
    log(
        f"size {n}: loaded in {load_s:.1f} s — {counts['accounts_user'] - 1} teachers, "
        f"{counts['courses_programme']} programmes, {counts['courses_session']} sessions, "
        f"{counts['courses_enrolment']} enrolments ({counts['active_enrolments']} active), "
        f"{counts['attendance_checkin']} check-ins, {counts['exams_attempt']} attempts, "
        f"{counts['certificates_certificate']} certificates ({counts['revoked']} revoked)"
    )
    client = Client()
    client.force_login(User.objects.get(username="bench-bureau"))
    timing = (args.warmup, args.requests, args.budget, args.min_requests)
    page = measure(client, f"/reports/?year={args.year}", *timing)
    api = measure(client, f"/api/reports/summary/?year={args.year}", *timing)
    data = api.pop("response").json()
    html = page.pop("response").content.decode()
    if data["enrolments"] != counts["active_enrolments"]:
        raise RuntimeError(f"API enrolments {data['enrolments']} != {counts['active_enrolments']} in the database")
    if f"<b>{data['distinct_teachers']}</b>" not in html:
        raise RuntimeError("the page does not show the API's number of teachers")
    log(
        f"size {n}: page median {page['median_ms']} ms ({page['queries']} queries), "
        f"api median {api['median_ms']} ms ({api['queries']} queries), "
        f"{time.perf_counter() - started:.1f} s in all"
    )
    result = {
        "enrolments": n,
        "load_s": round(load_s, 1),
        "rows": counts,
        "figures": {
            k: data[k]
            for k in (
                "distinct_teachers",
                "enrolments",
                "completions",
                "completion_rate",
                "credit_hours",
                "attendance_rate",
                "quiz_pass_rate",
            )
        },
        "page": page,
        "api": api,
    }
    page_queries, api_queries = page.pop("last_queries"), api.pop("last_queries")
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    if n == max(args.sizes):
        print_queries(page_queries)
        print_queries(api_queries)
        if args.explain:
            result["slow_queries"] = explain(page_queries + api_queries, args.explain, args.plan_lines)
    return result


def print_table(results: list[dict], args) -> None:
    print()
    print(
        f"Dashboard for year {args.year}, in-process (Django test Client, bureau): n timed requests after "
        f"{args.warmup} warm-ups (up to {args.requests}, fewer when over the {args.budget:.0f} s budget); "
        "times in ms, db = time in SQL; queries = SQL queries per request"
    )
    header = (
        f"{'enrolments':>10} {'teachers':>8} {'request':<7} {'n':>3} {'median':>8} {'p95':>8} {'max':>8} "
        f"{'db':>8} {'queries':>8} {'data s':>7} {'loadavg':>7}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        for name in ("page", "api"):
            m = r[name]
            print(
                f"{r['enrolments']:>10} {r['figures']['distinct_teachers']:>8} {name:<7} {m['n']:>3} {m['median_ms']:>8.1f} "
                f"{m['p95_ms']:>8.1f} {m['max_ms']:>8.1f} {m['db_ms_median']:>8.1f} "
                f"{'/'.join(map(str, m['queries'])):>8} {r['load_s']:>7.1f} {r['load_average'][0]:>7.2f}"
            )
    print()
    for r in results:
        f = r["figures"]
        print(
            f"{r['enrolments']:>7}: {f['distinct_teachers']} teachers, {f['enrolments']} active enrolments, "
            f"completion {f['completion_rate']}%, attendance {f['attendance_rate']}%, "
            f"quiz pass {f['quiz_pass_rate']}%, {f['credit_hours']:.0f} credit hours"
        )


def verdict(results: list[dict]) -> dict:
    same = all(
        len({q for r in results for q in r[name]["queries"]}) == 1 for name in ("page", "api")
    )  # one value per request kind across sizes
    largest = [r for r in results if r["enrolments"] >= TARGET_SIZE]
    page_ok = bool(largest) and all(r["page"]["median_ms"] < TARGET_PAGE_MS for r in largest)
    return {
        "query_count_constant": same,
        "page_under_300ms_at_300k": page_ok if largest else None,
        "met": same and (page_ok if largest else True),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help=f"enrolment counts (default {DEFAULT_SIZES})")
    parser.add_argument("--year", type=int, default=2025)
    parser.add_argument("--requests", type=int, default=15)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument(
        "--budget", type=float, default=120.0, help="seconds of timed requests per size and request (default 120)"
    )
    parser.add_argument("--min-requests", type=int, default=5, help="timed requests never fewer than this")
    parser.add_argument("--explain", type=int, default=4, help="EXPLAIN ANALYZE the N slowest queries (0: none)")
    parser.add_argument("--plan-lines", type=int, default=60, help="lines of each plan to print")
    args = parser.parse_args()
    args.sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    began = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - began:6.1f} s] {message}", file=sys.stderr, flush=True)

    postgres = None
    try:
        url = os.environ.get("DATABASE_URL", "")
        if not url.startswith("postgres"):
            postgres = Postgres("dashboard")
            url = postgres.start()
            log(f"started a throwaway PostgreSQL 15 on {HOST}:{postgres.port}")
        sys.path.insert(0, str(PROJECT))
        os.environ["DATABASE_URL"] = url
        warnings.filterwarnings("ignore", message="No directory at")  # whitenoise: STATIC_ROOT is not collected
        setup_base_django()
        from django.db import connection

        server_version = connection.cursor().connection.info.server_version
        log(f"migrated; PostgreSQL {server_version}")
        results = [run_size(n, args, log) for n in args.sizes]
        print_table(results, args)
        summary = verdict(results)
        print(
            f"\nquery count the same at every size: {'yes' if summary['query_count_constant'] else 'NO'}; "
            f"page median < {TARGET_PAGE_MS:.0f} ms at {TARGET_SIZE:,}: "
            + {True: "yes", False: "NO", None: "not measured"}[summary["page_under_300ms_at_300k"]]
        )
        log("done")
        print(
            json.dumps(
                {
                    "benchmark": "dashboard",
                    "mode": "in-process Django test Client, force_login bureau",
                    "postgresql": server_version,
                    "cpus": os.cpu_count(),
                    "year": args.year,
                    "requests": args.requests,
                    "warmup": args.warmup,
                    "sizes": {
                        str(r["enrolments"]): {
                            "teachers": r["figures"]["distinct_teachers"],
                            "page": r["page"],
                            "api": r["api"],
                            "load_s": r["load_s"],
                            "load_average": r["load_average"],
                            "figures": r["figures"],
                            "rows": r["rows"],
                        }
                        for r in results
                    },
                    **summary,
                    "total_s": round(time.perf_counter() - began, 1),
                },
                ensure_ascii=False,
            )
        )
    finally:
        if postgres is not None:
            from contextlib import suppress

            with suppress(Exception):
                from django.db import connections

                connections.close_all()
            postgres.stop()


if __name__ == "__main__":
    main()
