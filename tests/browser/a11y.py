"""axe-core (bundled by axe-playwright-python, nothing downloaded) over a page: WCAG 2.1 A and AA."""

from axe_playwright_python.sync_playwright import Axe

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
_axe = Axe()


def violations(page) -> list[str]:
    """Each WCAG 2.1 A/AA violation on the page as `rule: help — selectors`."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    found = []
    for violation in results.response["violations"]:
        targets = ", ".join(" ".join(node["target"]) for node in violation["nodes"][:5])
        found.append(f"{violation['id']}: {violation['help']} — {targets}")
    return found
