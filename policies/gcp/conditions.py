"""IAM Conditions (CEL) → :class:`~seenby.model.Condition`.

seenby does not evaluate CEL offline: the attributes conditions test (``request.time``,
``resource.name``, ``api.getAttribute(...)``, tags) are either request-time facts or
need resource names the snapshot may not hold for every object.  Every conditional
binding therefore becomes a *conditional* grant with the expression exactly as written,
the attributes it tests, and the reason; none is ever dropped.
https://cloud.google.com/iam/docs/conditions-overview
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from seenby.model import Condition

__all__ = ["iam_condition"]

_ATTRIBUTE = re.compile(
    r"api\.getAttribute\(\s*'([^']+)'"
    r"|\b((?:request|resource|destination|origin|levels)\.[A-Za-z_]+)"
)


def _keys(expression: str) -> tuple[str, ...]:
    """The attributes an expression tests, in order of first use."""
    found: list[str] = []
    for api_attribute, attribute in _ATTRIBUTE.findall(expression):
        key = f"api.getAttribute('{api_attribute}')" if api_attribute else attribute
        if key not in found:
            found.append(key)
    return tuple(found)


def iam_condition(condition: Mapping[str, Any] | None, *, where: str) -> Condition | None:
    """The condition of a binding (``{"expression", "title", "description"}``), or None."""
    if not condition:
        return None
    expression = str(condition.get("expression") or "")
    title = condition.get("title")
    reason = f"IAM Condition on {where}"
    if title:
        reason += f" ({title})"
    reason += ": CEL is not evaluated offline; access depends on the request"
    return Condition(expression=expression or dict(condition), keys=_keys(expression), reason=reason)
