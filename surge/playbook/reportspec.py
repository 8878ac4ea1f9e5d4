"""A playbook's ``report``: the post-incident report's language and the departments that
get follow-ups from it (see surge/report)."""

from __future__ import annotations

from surge.playbook.model import Department, ReportSpec
from surge.playbook.validate import Scope, Validator
from surge.yamlcheck import Checker
from surge.yamlpos import YNode

FOLLOW_UP_NAMES = ("params", "incident")  # what a follow-up's template may use


def read_report(check: Checker, validator: Validator, node: YNode) -> ReportSpec:
    from surge.scripts.model import LOCALES  # surge.scripts imports the playbook model

    fields = check.keys(node, "report", ("locale", "departments"))
    if fields is None:
        return ReportSpec()
    locale = (
        check.choice(fields["locale"], "report.locale", LOCALES) if "locale" in fields else None
    )
    departments = read_departments(check, validator, fields.get("departments"), "report")
    return ReportSpec(locale or ReportSpec.locale, departments)


def read_departments(
    check: Checker, validator: Validator | None, node: YNode | None, what: str
) -> tuple[Department, ...]:
    """``[{name: 质量部, follow_up: "…{{ params.topic }}…"}, 客服部]``: a name alone has no
    follow-up text of its own. With a validator, follow-ups are checked as templates."""
    if node is None:
        return ()
    found = []
    for number, item in enumerate(check.sequence(node, f"{what}.departments") or [], 1):
        where = f"department {number} of {what}"
        if isinstance(item.value, str):
            found.append(Department(check.string(item, where) or ""))
            continue
        fields = check.keys(item, where, ("name", "follow_up"), required=("name",))
        if not fields or "name" not in fields:
            continue
        name = check.string(fields["name"], f"name of {where}") or ""
        follow_up = ""
        if "follow_up" in fields:
            follow_up = check.string(fields["follow_up"], f"follow_up of {where}", empty=True) or ""
            if validator is not None:
                validator.template(follow_up, fields["follow_up"].pos, Scope(FOLLOW_UP_NAMES))
        found.append(Department(name, follow_up))
    return tuple(department for department in found if department.name)
