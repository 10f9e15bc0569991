import os
import shutil

import pytest
from django.db import connection

from tests.factories import make_bureau, make_organiser, make_programme, make_teacher, make_unit

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


@pytest.fixture
def teacher(db):
    return make_teacher(name="王老师")


@pytest.fixture
def other_teacher(db):
    return make_teacher(name="李老师")


@pytest.fixture
def unit(db):
    return make_unit("许昌市教育局教师工作科")


@pytest.fixture
def other_unit(db):
    return make_unit("许昌市教育局政策法规科")


@pytest.fixture
def organiser(unit):
    return make_organiser(unit)


@pytest.fixture
def other_organiser(other_unit):
    return make_organiser(other_unit)


@pytest.fixture
def bureau(db):
    return make_bureau()


@pytest.fixture
def programme(organiser):
    return make_programme(organiser=organiser, title="法治政府建设专题培训讲座")


@pytest.fixture
def postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("需要 PostgreSQL：行锁与并发只在真实数据库服务器上验证（CI 中运行）")


# ---- Browser harness: Debian's Chromium driven by Playwright, never a downloaded browser.


def _require_browser() -> bool:
    return os.environ.get("REQUIRE_BROWSER") == "1"


@pytest.fixture(scope="session")
def browser():
    if not shutil.which(CHROMIUM) and not os.path.exists(CHROMIUM):
        if _require_browser():
            pytest.fail(f"REQUIRE_BROWSER=1 但找不到 Chromium（{CHROMIUM}）：请 apt-get install chromium")
        pytest.skip("本机未安装 Chromium（apt-get install chromium）；CI 中浏览器测试为必跑项")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture
def phone(browser, request):
    """A 360x740 phone page; on failure a screenshot is kept in test-artifacts/."""
    context = browser.new_context(
        viewport={"width": 360, "height": 740}, device_scale_factor=2, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        os.makedirs("test-artifacts", exist_ok=True)
        page.screenshot(path=f"test-artifacts/{request.node.name}.png", full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


@pytest.fixture(autouse=True)
def _laws_from_the_data_migration(request):
    """The laws exams' data migration writes. A transaction=True test ends with Django's flush, which empties
    every table, data migrations' rows included: put them back, through the service, for the tests after it."""
    marker = request.node.get_closest_marker("django_db")
    transactional = (marker is not None and marker.kwargs.get("transaction")) or (
        "transactional_db" in request.fixturenames
    )
    if not transactional and marker is None and "db" not in request.fixturenames:
        return
    request.getfixturevalue("transactional_db" if transactional else "db")
    import importlib

    from exams.models import Law
    from exams.services import law_upsert

    if Law.objects.exists():
        return
    migration = importlib.import_module("exams.migrations.0002_laws_as_data_question_codes_versions")
    for position, (name, title, revision, effective_on, code) in enumerate(migration.LAWS, start=1):
        law_upsert(name=name, title=title, revision=revision, effective_on=effective_on, code=code, position=position)


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Rate limits and lockouts live in the cache; each test starts with none."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def require_tool(name: str) -> str:
    """A system tool a test needs (e.g. pdftoppm): skipped locally when missing, mandatory in CI."""
    path = shutil.which(name)
    if path:
        return path
    if _require_browser():
        pytest.fail(f"CI 需要 {name}（apt-get install poppler-utils poppler-data）")
    pytest.skip(f"本机没有 {name}")


def pytest_sessionfinish(session, exitstatus):
    """On a full run (`make test` sets API_COVERAGE=1), fail if a documented API status code was
    never answered by any test (tests/api_coverage.py)."""
    config = session.config
    whole_suite = config.args_source == pytest.Config.ArgsSource.TESTPATHS and not (
        config.option.keyword or config.option.markexpr
    )
    if os.environ.get("API_COVERAGE") != "1" or exitstatus != 0 or not whole_suite:
        return
    from tests.api_coverage import missing

    gaps = missing()
    if gaps:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        reporter.write_line(f"\n{len(gaps)} documented API status codes were never answered in this run:", red=True)
        for gap in gaps:
            reporter.write_line(f"  {gap}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """After every test that touched the database, the dashboard's facts must equal the straight
    computation from the records (reports.facts.facts_differences, as `refresh_report_facts --check`).
    Whatever a test wrote — through a page, the API, the admin, a command, a bulk service or a plain
    model save — a write path that skips the facts' upkeep fails here, in CI, on both databases.
    A test that corrupts the facts on purpose repairs them before it ends."""
    result = yield
    uses_db = item.get_closest_marker("django_db") or {"db", "transactional_db"} & set(item.fixturenames)
    if uses_db and not item.get_closest_marker("facts_unchecked"):
        from reports.facts import facts_differences

        differing, lines = facts_differences(limit=5)
        if differing:
            raise AssertionError(
                f"数据看板汇总表与原始记录不一致（{differing} 条）——有写入路径没有维护汇总表：\n" + "\n".join(lines)
            )
    return result
