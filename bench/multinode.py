"""Several app servers on one database: two gunicorn servers, two task workers, one PostgreSQL (and Redis).

The acceptance scenario of issue 19, everything on this machine over loopback (127.0.0.1 only):

  PostgreSQL 15   a throwaway cluster (bench/harness.py's Postgres), unless DATABASE_URL is given
  Redis           with --tasks-backend rq: a throwaway `redis-server` (Debian's) on a free port, no
                  persistence, unless --redis-url is given; then it is also the shared cache (rate
                  limits, lockouts) of both servers, as production.py configures it with REDIS_URL
  node A, node B  training_site.wsgi under gunicorn with the production settings, each on its own port
                  (--workers each, default 2: the two nodes share this machine's 2 cores)
  workers         two task workers: `manage.py db_worker` (the default database backend) or
                  `manage.py rqworker --job-class django_tasks_rq.Job --with-scheduler` (--tasks-backend rq)
  scheduler       `manage.py run_scheduler`, the one place periodic duties are enqueued from; here with
                  SWEEP_SECONDS=--sweep-seconds so the sweeps come round within the run
  data            flush, then the lecture of checkin_load.py (one session, check-in open), N teachers
                  enrolled, one signed-in session each (written to the session table); the lecture's
                  rule has auto_issue off, so the check-ins' automatic-issue tasks issue nothing and the
                  organiser's batch issues all N certificates

Phases:
  check-in   the N teachers check in through both servers alternately (teacher i through node A when
             i is even, B when odd), --concurrency requests in flight; then a sample scans a second
             time through the OTHER node (must answer 已签到) and --race teachers scan from two phones,
             one on each node, at the same instant
  batch      the organiser starts the batch issue with a POST to node A's page (CERTIFICATE_CHUNK_SIZE
             trainees per chunk, one task each); once --kill-after chunks are done, the worker that is
             running a chunk at that moment is killed with SIGKILL; the progress page is polled on
             node B until the job is done (or --time-limit)
  checks     every teacher exactly one check-in record and one valid certificate; serials 1..N without a
             gap or a duplicate; the job "已完成" with total = done = N on node B's progress page; every
             chunk done, the killed chunk run twice; no task still running (after the task-results
             sweep), no PendingIssue left

Run from the project folder (as root or as a user who can run initdb):

    .venv/bin/python bench/multinode.py                               # 3,000 teachers, database backend
    .venv/bin/python bench/multinode.py --tasks-backend rq            # RQ workers on a throwaway Redis
    .venv/bin/python bench/multinode.py --teachers 300 --tasks-backend rq    # the short one .ci/run runs

The last line is one JSON object with the figures. Exit status 1 when a check fails.
"""

import argparse
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from checkin_load import build_data, checkin, csrf_secret
from harness import (
    HOST,
    PROJECT,
    Client,
    CpuMeter,
    Gunicorn,
    Postgres,
    TaskWorker,
    create_sessions,
    database_url,
    free_port,
    latency_summary,
    log,
    production_env,
    run_load,
    setup_production_django,
)


class Redis:
    """A throwaway redis-server on 127.0.0.1 (no persistence), in a temporary folder."""

    def __init__(self):
        self.dir = Path(tempfile.mkdtemp(prefix="multinode-redis-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        command = ["redis-server", "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no",
                   "--dir", str(self.dir)]  # fmt: skip
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        url = f"redis://{HOST}:{self.port}/0"
        import redis

        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with contextlib.suppress(redis.exceptions.ConnectionError):
                if redis.Redis.from_url(url).ping():
                    log(f"redis-server on {url} (pid {self.process.pid})")
                    return url
            time.sleep(0.1)
        raise RuntimeError("redis-server did not answer within 20 s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        shutil.rmtree(self.dir, ignore_errors=True)


class Scheduler(TaskWorker):
    """`manage.py run_scheduler`: the deployment's one source of periodic tasks."""

    def __init__(self, *, env: dict, folder: Path):
        super().__init__(env=env, folder=folder, name="scheduler")
        self.command = [str(PROJECT / ".venv" / "bin" / "python"), "manage.py", "run_scheduler"]


# --------------------------------------------------------------------------- check-in through both nodes


def checkin_both(ports, session_id, keys: dict, *, concurrency, time_limit, meter, expect="checked_in", devices=None,
                 flip=False) -> tuple[list, float, dict]:  # fmt: skip
    """Teacher i through node i % 2 (the other node with flip)."""
    clients = [Client(port) for port in ports]
    order = {pk: index for index, pk in enumerate(keys)}
    devices = devices or {}

    def work(pk):
        node = (order[pk] + (1 if flip else 0)) % 2
        outcome = checkin(clients[node], session_id=session_id, session_key=keys[pk], device=devices.get(pk),
                          expect=expect)  # fmt: skip
        outcome.update(teacher=pk, node=node)
        return outcome

    before = meter.snapshot() if meter else None
    results, elapsed = run_load(list(keys), work, concurrency=concurrency, time_limit=time_limit)
    cpu = CpuMeter.delta(before, meter.snapshot()) if meter else {}
    for client in clients:
        client.close()
    return results, elapsed, cpu


def race_both(ports, session_id, pairs: dict, *, concurrency: int) -> list[dict]:
    """Each teacher scans from two phones at the same instant, one phone on each node."""
    clients = [Client(port) for port in ports]
    barriers = {pk: threading.Barrier(2) for pk in pairs}
    items = [(pk, node, key) for pk, both in pairs.items() for node, key in enumerate(both)]

    def work(item):
        pk, node, key = item
        with contextlib.suppress(threading.BrokenBarrierError):
            barriers[pk].wait(timeout=10)
        outcome = checkin(clients[node], session_id=session_id, session_key=key, device=None, expect="checked_in")
        outcome["teacher"] = pk
        return outcome

    results, _ = run_load(items, work, concurrency=max(2, concurrency - concurrency % 2), time_limit=60)
    for client in clients:
        client.close()
    return results


# --------------------------------------------------------------------------- the batch


def start_batch(port: int, programme_code: str, organiser_key: str) -> int:
    """The organiser's POST on node A's 结业与证书 page; returns the job's id from the redirect."""
    client = Client(port)
    secret = csrf_secret(organiser_key)
    body = f"kind=issue&csrfmiddlewaretoken={secret}".encode()
    headers = {
        "Cookie": f"sessionid={organiser_key}; csrftoken={secret}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    status, response_headers, _ = client.request("POST", f"/certificates/programmes/{programme_code}/jobs/", headers,
                                                 body)  # fmt: skip
    client.close()
    location = response_headers.get("Location", "")
    if status != 302 or "/jobs/" not in location:
        sys.exit(f"starting the batch answered {status} {location}")
    return int(location.rstrip("/").rsplit("/", 1)[-1])


def progress(port: int, job_id: int, organiser_key: str) -> dict:
    client = Client(port)
    status, _, body = client.request("GET", f"/certificates/jobs/{job_id}/?format=json",
                                     {"Cookie": f"sessionid={organiser_key}"})  # fmt: skip
    client.close()
    if status != 200:
        return {"status": f"HTTP {status}"}
    return json.loads(body)


def running_chunk_worker(job_id: int, backend: str) -> tuple[int, str] | None:
    """(chunk id, worker name) of a chunk being worked on now: claimed, not done, its task running."""
    from certificates.models import JobChunk

    running = list(JobChunk.objects.filter(job_id=job_id, status="running").values_list("pk", flat=True))
    if not running:
        return None
    if backend == "rq":
        import django_rq
        from rq.registry import StartedJobRegistry

        queue = django_rq.get_queue("default")
        for job in queue.job_class.fetch_many(
            StartedJobRegistry(queue=queue).get_job_ids(), connection=queue.connection
        ):
            if job and job.kwargs.get("chunk_id") in running and job.worker_name:
                return job.kwargs["chunk_id"], job.worker_name
        return None
    from django_tasks_db.models import DBTaskResult

    for result in DBTaskResult.objects.running().filter(task_path__endswith="certificate_job_chunk"):
        chunk_id = result.args_kwargs["kwargs"].get("chunk_id")
        if chunk_id in running and result.worker_ids:
            return chunk_id, result.worker_ids[-1]
    return None


def kill_a_worker_mid_chunk(job_id: int, backend: str, workers: list[TaskWorker]) -> dict:
    """SIGKILL the worker of a chunk that is inside its issuing transaction. This process holds the year's
    serial counter meanwhile, so the next chunk a worker takes stops at that lock — claimed, certificates
    not committed — and the kill surely lands mid-chunk, not between two chunks; then the lock is released."""
    from django.db import transaction
    from django.utils import timezone

    from certificates.models import SerialCounter

    with transaction.atomic():
        SerialCounter.objects.select_for_update().get(year=timezone.localtime().year)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            found = running_chunk_worker(job_id, backend)
            victim = found and next((w for w in workers if found[1].startswith(w.name)), None)
            if victim:
                time.sleep(0.2)  # the chunk is now waiting for the counter inside its transaction
                victim.kill()
                log(f"  SIGKILL {victim.name} (pid {victim.process.pid}) while it ran chunk {found[0]}")
                return {"worker": victim.name, "chunk": found[0]}
            time.sleep(0.02)
    sys.exit("no chunk was running on a worker within 60 s")


def batch_phase(args, ports, data, organiser_key, workers: list[TaskWorker], meter) -> dict:
    from certificates.models import JobChunk

    before = meter.snapshot()
    started = time.perf_counter()
    job_id = start_batch(ports[0], data["lecture"].code, organiser_key)
    killed = None
    polls = []
    deadline = time.monotonic() + args.time_limit
    last = {}
    while time.monotonic() < deadline:
        if killed is None and JobChunk.objects.filter(job_id=job_id, status="done").count() >= args.kill_after:
            killed = kill_a_worker_mid_chunk(job_id, args.tasks_backend, workers)
            killed["at_s"] = round(time.perf_counter() - started, 2)
        if killed is None:
            time.sleep(0.02)
            continue
        last = progress(ports[1], job_id, organiser_key)
        polls.append(last)
        if last.get("status") in ("done", "failed"):
            break
        time.sleep(0.5)
    elapsed = time.perf_counter() - started
    cpu = CpuMeter.delta(before, meter.snapshot())
    return {"job_id": job_id, "killed": killed, "elapsed_s": elapsed, "final": last, "polls": len(polls), **cpu}


# --------------------------------------------------------------------------- checks


def checks(data, teachers: list[int], batch: dict, args) -> dict:
    from django.db.models import Count

    from attendance.models import CheckIn
    from certificates.models import Certificate, CertificateJob, JobChunk, PendingIssue

    records = dict(CheckIn.objects.filter(session=data["main"]).values_list("teacher_id").annotate(n=Count("id")))
    certificates = dict(
        Certificate.objects.filter(programme=data["lecture"], status="valid")
        .values_list("teacher_id")
        .annotate(n=Count("id"))
    )
    # Gap-free over every certificate of the database: the warm-up programme's come from the automatic issue
    # (its rule issues on completion) and interleave with nothing, the lecture's from the batch.
    serials = sorted(Certificate.objects.values_list("serial_number", flat=True))
    job = CertificateJob.objects.get(pk=batch["job_id"])
    chunks = list(JobChunk.objects.filter(job=job).values("index", "status", "attempts", "size"))
    killed_chunk = batch["killed"]["chunk"] if batch["killed"] else None
    result = {
        "teachers": len(teachers),
        "records_exactly_one": sum(1 for pk in teachers if records.get(pk) == 1),
        "record_duplicates": sum(n - 1 for n in records.values() if n > 1),
        "certificates_exactly_one": sum(1 for pk in teachers if certificates.get(pk) == 1),
        "certificate_duplicates": sum(n - 1 for n in certificates.values() if n > 1),
        "serials_gap_free": serials == list(range(1, len(serials) + 1)),
        "serials": len(serials),
        "automatic_issue_certificates": Certificate.objects.exclude(programme=data["lecture"]).count(),
        "job_status": job.status,
        "job_message": job.message,
        "page": batch["final"],
        "chunks": len(chunks),
        "chunks_done": sum(1 for chunk in chunks if chunk["status"] == "done"),
        "killed_chunk_attempts": JobChunk.objects.get(pk=killed_chunk).attempts if killed_chunk else None,
        "pending_issues_left": PendingIssue.objects.count(),
    }
    result["tasks_running"] = wait_for_no_running_task(args)
    page = batch["final"]
    result["ok"] = (
        result["records_exactly_one"] == len(teachers)
        and result["record_duplicates"] == 0
        and result["certificates_exactly_one"] == len(teachers)
        and result["certificate_duplicates"] == 0
        and result["serials_gap_free"]
        and result["serials"] == len(teachers) + result["automatic_issue_certificates"]
        and job.status == "done"
        and page.get("status") == "done"
        and page.get("total") == page.get("done") == len(teachers)
        and page.get("percent") == 100
        and result["chunks_done"] == result["chunks"]
        and result["pending_issues_left"] == 0
        and result["tasks_running"] == 0
        and batch["killed"] is not None
        and (result["killed_chunk_attempts"] or 0) >= 2
    )
    return result


def running_tasks(backend: str) -> int:
    if backend == "rq":
        import django_rq
        from rq.registry import StartedJobRegistry

        return len(StartedJobRegistry(queue=django_rq.get_queue("default")).get_job_ids(cleanup=False))
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.running().count()


def wait_for_no_running_task(args) -> int:
    """The killed worker's task shows as running until the task-results sweep (every --sweep-seconds) finds
    it older than TASK_RESULT_STALE_SECONDS, or RQ's heartbeat lapses: wait for that, bounded."""
    deadline = time.monotonic() + args.settle_limit
    while (count := running_tasks(args.tasks_backend)) and time.monotonic() < deadline:
        time.sleep(1)
    return count


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--teachers", type=int, default=3000)
    parser.add_argument("--tasks-backend", choices=["database", "rq"], default="database")
    parser.add_argument("--redis-url", default="", help="an existing Redis (default: a throwaway redis-server)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per node")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (client threads)")
    parser.add_argument("--dup-sample", type=int, default=50, help="teachers who scan again through the other node")
    parser.add_argument("--race", type=int, default=20, help="extra teachers who scan from two phones at once")
    parser.add_argument("--chunk-size", type=int, default=200, help="CERTIFICATE_CHUNK_SIZE")
    parser.add_argument("--kill-after", type=int, default=3, help="chunks done before a worker is killed")
    parser.add_argument("--stale-seconds", type=int, default=10, help="CERTIFICATE_CHUNK_STALE_SECONDS")
    parser.add_argument("--sweep-seconds", type=int, default=5, help="SWEEP_SECONDS of the scheduler")
    parser.add_argument("--time-limit", type=float, default=300.0, help="hard limit of each phase, s")
    parser.add_argument("--settle-limit", type=float, default=150.0, help="wait for no running task, at most s")
    parser.add_argument("--seed", type=int, default=20261206)
    args = parser.parse_args()
    args.worker_class, args.threads = "sync", 1

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="multinode-bench-"))
    postgres = None if os.environ.get("DATABASE_URL") else Postgres("multinode")
    redis_server = Redis() if args.tasks_backend == "rq" and not args.redis_url else None
    processes: list = []
    try:
        url = database_url(postgres)
        env = production_env(folder, "multinode", url, None)
        env.update(
            TASKS_BACKEND=args.tasks_backend,
            CERTIFICATE_CHUNK_SIZE=str(args.chunk_size),
            CERTIFICATE_CHUNK_STALE_SECONDS=str(args.stale_seconds),
            SWEEP_SECONDS=str(args.sweep_seconds),
            TASK_RESULT_STALE_SECONDS=str(args.stale_seconds),
            RQ_JOB_TIMEOUT="60",
        )
        if args.tasks_backend == "rq":
            env["REDIS_URL"] = args.redis_url or redis_server.start()
        log(f"database {url}; tasks on {args.tasks_backend}; migrating into {folder} ...")
        setup_production_django(env, folder)
        from django.conf import settings

        log(f"cache {settings.CACHES['default']['BACKEND']}; tasks {settings.TASKS['default']['BACKEND']}")
        nodes = [Gunicorn(env=env, args=args, folder=folder) for _ in range(2)]
        workers = [TaskWorker(env=env, folder=folder, name=f"worker-{i + 1}") for i in range(2)]
        scheduler = Scheduler(env=env, folder=folder)
        processes = [*workers, scheduler, *nodes]
        for process in processes:
            process.start()
        ports = [node.port for node in nodes]
        meter = CpuMeter(tuple(node.process.pid for node in nodes), postgres.pid() if postgres else None,
                         tuple(p.pid for p in [*workers, scheduler]))  # fmt: skip

        from certificates.services import completion_rule_set

        data = build_data({"main": args.teachers, "race": args.race, "warmup": 64}, seed=args.seed, password_hash=None)
        completion_rule_set(actor=None, programme=data["lecture"], auto_issue=False)
        main_teachers = [pk for pk, _ in data["groups"]["main"]]
        race_teachers = [pk for pk, _ in data["groups"]["race"]]
        warm = [pk for pk, _ in data["groups"]["warmup"]]
        keys = create_sessions(main_teachers + warm)
        first_phones, second_phones = create_sessions(race_teachers), create_sessions(race_teachers)
        pairs = {pk: (first_phones[pk], second_phones[pk]) for pk in race_teachers}
        from accounts.models import User

        organiser = User.objects.get(username="bench-organiser")
        organiser_key = create_sessions([organiser.pk])[organiser.pk]

        checkin_both(ports, data["warmup"].pk, {pk: keys[pk] for pk in warm}, concurrency=args.concurrency,
                     time_limit=60, meter=None)  # fmt: skip
        log(f"checking in {args.teachers} teachers through both nodes ...")
        results, elapsed, cpu = checkin_both(ports, data["main"].pk, {pk: keys[pk] for pk in main_teachers},
                                             concurrency=args.concurrency, time_limit=args.time_limit, meter=meter)  # fmt: skip
        ok = [r for r in results if r["ok"]]
        devices = {r["teacher"]: r.get("device") for r in ok}
        checked_in = [r["teacher"] for r in ok]
        sample = checked_in[:: max(1, len(checked_in) // max(1, args.dup_sample))][: args.dup_sample]
        again, _, _ = checkin_both(ports, data["main"].pk, {pk: keys[pk] for pk in sample}, concurrency=args.concurrency,
                                   time_limit=60, meter=None, expect="already", devices=devices, flip=True)  # fmt: skip
        raced = race_both(ports, data["main"].pk, pairs, concurrency=args.concurrency)
        race_outcomes: dict[str, int] = {}
        for r in raced:
            race_outcomes[r["outcome"] or r["error"]] = race_outcomes.get(r["outcome"] or r["error"], 0) + 1
        latency = latency_summary([r["total_ms"] for r in ok])
        log(f"  {len(ok)}/{args.teachers} in {elapsed:.1f} s = {len(ok) / elapsed:.0f}/s, p50 {latency['p50_ms']:.0f} "
            f"p99 {latency['p99_ms']:.0f} ms; second scans {sum(r['ok'] for r in again)}/{len(again)} 已签到; "
            f"races {race_outcomes}")  # fmt: skip

        log(f"batch issue of {len(checked_in) + len(pairs)} certificates, chunks of {args.chunk_size} ...")
        batch = batch_phase(args, ports, data, organiser_key, workers, meter)
        log(f"  job {batch['final'].get('status')} in {batch['elapsed_s']:.1f} s: {batch['final']}")
        result = checks(data, main_teachers + race_teachers, batch, args)
        figures = {
            "teachers": args.teachers,
            "tasks_backend": args.tasks_backend,
            "nodes": 2,
            "gunicorn_workers_per_node": args.workers,
            "task_workers": 2,
            "checkins": len(ok),
            "checkin_errors": len(results) - len(ok),
            "checkins_per_s": round(len(ok) / elapsed, 1),
            **{key: round(value, 1) for key, value in latency.items()},
            "checkin_cpu": {key: round(value, 2) for key, value in cpu.items()},
            "per_node": {n: sum(1 for r in ok if r["node"] == n) for n in (0, 1)},
            "second_scans_already": sum(1 for r in again if r["ok"]),
            "second_scans": len(again),
            "race_teachers": len(pairs),
            "race_outcomes": race_outcomes,
            "batch_s": round(batch["elapsed_s"], 1),
            "batch_certificates_per_s": round(result["certificates_exactly_one"] / batch["elapsed_s"], 1),
            "killed": batch["killed"],
            **result,
        }
        print()
        print(
            f"{'multi-node (2 gunicorn × ' + str(args.workers) + ' workers, 2 task workers, ' + args.tasks_backend + ')':<64}"
        )
        rows = [
            ("check-ins through both nodes", f"{len(ok)}/{args.teachers} ({figures['per_node'][0]} A, {figures['per_node'][1]} B)"),
            ("check-ins/s", f"{figures['checkins_per_s']}"),
            ("latency p50 / p95 / p99", f"{latency['p50_ms']:.0f} / {latency['p95_ms']:.0f} / {latency['p99_ms']:.0f} ms"),
            ("second scans (other node) answered 已签到", f"{figures['second_scans_already']}/{len(again)}"),
            ("two-phone races (one phone per node)", f"{race_outcomes}"),
            ("teachers with exactly one record", f"{result['records_exactly_one']}/{result['teachers']}"),
            ("batch: certificates, seconds, per second", f"{result['certificates_exactly_one']}, {figures['batch_s']}, {figures['batch_certificates_per_s']}"),
            ("worker killed (SIGKILL) mid-chunk", f"{batch['killed']}"),
            ("killed chunk run again (attempts)", f"{result['killed_chunk_attempts']}"),
            ("teachers with exactly one certificate", f"{result['certificates_exactly_one']}/{result['teachers']}"),
            ("warm-up programme: automatic issue (tasks)", f"{result['automatic_issue_certificates']} certificates"),
            ("serials 1..N gap-free (batch + automatic)", f"{result['serials_gap_free']} ({result['serials']} serials)"),
            ("job / node B's progress page", f"{result['job_status']} / {batch['final']}"),
            ("chunks done", f"{result['chunks_done']}/{result['chunks']}"),
            ("tasks still running after the sweep", f"{result['tasks_running']}"),
            ("all checks", "PASS" if result["ok"] else "FAIL"),
        ]  # fmt: skip
        for label, value in rows:
            print(f"  {label:<44} {value}")
        print(json.dumps(figures, ensure_ascii=False, default=str))
        if not result["ok"]:
            sys.exit(1)
    finally:
        for process in processes:
            process.stop()
        if postgres:
            postgres.stop()
        if redis_server:
            redis_server.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
