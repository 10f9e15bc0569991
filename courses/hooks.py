"""Pages of other apps that hang off a programme, registered by those apps.

courses imports none of the apps that depend on it; they add their links here in
AppConfig.ready(), and the organiser's programme page lists them.
"""

PROGRAMME_PAGES: list[tuple[str, str]] = []


def register_programme_page(label: str, url_name: str) -> None:
    """url_name takes the programme code as its only argument."""
    if (label, url_name) not in PROGRAMME_PAGES:
        PROGRAMME_PAGES.append((label, url_name))


# Panels on a teacher's programme page: (template name, function(programme, teacher) -> context).
TEACHER_PROGRAMME_PANELS: list[tuple[str, object]] = []


def register_teacher_panel(template_name: str, context) -> None:
    if all(existing != template_name for existing, _ in TEACHER_PROGRAMME_PANELS):
        TEACHER_PROGRAMME_PANELS.append((template_name, context))


# What the teacher's home says of each programme beyond 已报名 (certificates: 已结业 with the certificate):
# functions(teacher, programme_ids) -> {programme_id: {"label": ..., "url": ...}}.
TEACHER_HOME_STATUSES: list[object] = []


def register_teacher_home_status(status) -> None:
    if status not in TEACHER_HOME_STATUSES:
        TEACHER_HOME_STATUSES.append(status)


# Refusals to delete a session, from apps whose records hang off it (check-ins): function(session) -> str or "".
SESSION_DELETE_GUARDS: list = []


def register_session_delete_guard(guard) -> None:
    if guard not in SESSION_DELETE_GUARDS:
        SESSION_DELETE_GUARDS.append(guard)
