"""Parse and normalise IAM policy documents, once, at the boundary.

Every odd shape the policy language allows becomes one normal form here
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html):

* the document: a dict, a JSON string, or a URL-encoded JSON string (IAM returns
  those from some APIs), with or without a UTF-8 byte order mark and whitespace around it;
* ``Statement``: one object or a list of them;
* ``Principal`` / ``NotPrincipal``: ``"*"``, or a map of ``AWS`` / ``Service`` /
  ``Federated`` / ``CanonicalUser`` to a string or a list; AWS values may be
  ``"*"``, an account id, ``arn:…:root``, a user, role, assumed-role session,
  federated-user ARN, a unique id (AWS rewrites deleted principals to those), or a
  CloudFront origin access identity (``arn:aws:iam::cloudfront:user/CloudFront Origin
  Access Identity ID``, an S3 canonical user under another name);
* ``Action`` / ``NotAction`` and ``Resource`` / ``NotResource``: a string or a list;
* ``Condition``: operator → key → a string, number, bool or a list of them
  (values become strings, as IAM compares them).

Shapes AWS would reject raise :class:`seenby.errors.PolicyDocumentError` naming the
resource the document belongs to and the statement index.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from urllib.parse import unquote

from seenby.errors import PolicyDocumentError
from seenby.fileio import InputLimit, load_embedded_json
from seenby.model import Evidence, EvidenceKind, freeze_json
from seenby.policies.aws.matching import action_matches

__all__ = [
    "Effect",
    "ParseMemo",
    "PolicyDocument",
    "PrincipalRef",
    "PrincipalType",
    "Statement",
    "addresses_services",
    "parse_policy",
    "parse_principal_value",
]


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class PrincipalType(StrEnum):
    """What one value of a Principal element names."""

    ANY = "any"  # "*" or {"AWS": "*"}: everyone, anonymous included
    ACCOUNT = "account"  # "111122223333" or arn:aws:iam::111122223333:root
    ARN = "arn"  # an IAM user, role, assumed-role session or federated-user ARN
    UNIQUE_ID = "unique-id"  # AIDA…/AROA…: a deleted principal, as AWS rewrites it
    SERVICE = "service"  # s3.amazonaws.com
    FEDERATED = "federated"  # an identity provider: cognito-identity.amazonaws.com, a SAML provider ARN
    CANONICAL = "canonical"  # an S3 canonical user id


@dataclass(frozen=True, kw_only=True, slots=True)
class PrincipalRef:
    """One principal named by a policy; ``value`` is normalised, ``written`` is as in the document."""

    type: PrincipalType
    value: str
    written: str
    account: str | None = None
    partition: str = "aws"


_ACCOUNT_RE = re.compile(r"^\d{12}$")
_ARN_RE = re.compile(r"^arn:(?P<partition>aws[a-zA-Z-]*):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<rest>.+)$")
_UNIQUE_ID_RE = re.compile(r"^A[A-Z0-9]{3}[A-Z0-9]{8,}$")
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/private-content-restricting-access-to-s3.html
_OAI_RE = re.compile(r"^arn:aws:iam::cloudfront:user/CloudFront Origin Access Identity [A-Z0-9]+$")
_PRINCIPAL_KEYS = ("AWS", "Service", "Federated", "CanonicalUser")


def parse_principal_value(key: str, value: str, *, source: str, where: str) -> PrincipalRef:
    """Normalise one value of a Principal map entry (``key`` is AWS, Service, Federated or CanonicalUser)."""
    if not isinstance(value, str) or not value:
        raise PolicyDocumentError(f"principal {key} value must be a non-empty string", file=source, where=where)
    if key == "AWS":
        if value == "*":
            return PrincipalRef(type=PrincipalType.ANY, value="*", written=value)
        if _ACCOUNT_RE.match(value):
            return PrincipalRef(type=PrincipalType.ACCOUNT, value=value, written=value, account=value)
        m = _ARN_RE.match(value)
        if m:
            account, rest, partition = m["account"], m["rest"], m["partition"]
            if m["service"] == "iam" and rest == "root":
                return PrincipalRef(
                    type=PrincipalType.ACCOUNT, value=account, written=value, account=account, partition=partition
                )
            if "*" in value or "?" in value:
                raise PolicyDocumentError(
                    f"principal {value!r}: wildcards are not allowed in a principal ARN", file=source, where=where
                )
            kind = rest.split("/", 1)[0]
            allowed = {"iam": ("user", "role"), "sts": ("assumed-role", "federated-user")}[m["service"]]
            if kind not in allowed:
                raise PolicyDocumentError(f"principal {value!r} is not a principal ARN", file=source, where=where)
            return PrincipalRef(
                type=PrincipalType.ARN, value=value, written=value, account=account, partition=partition
            )
        if _UNIQUE_ID_RE.match(value):
            return PrincipalRef(type=PrincipalType.UNIQUE_ID, value=value, written=value)
        if _OAI_RE.match(value):
            # a CloudFront origin access identity: S3 knows it by its canonical user id; kept as written
            return PrincipalRef(type=PrincipalType.CANONICAL, value=value, written=value)
        raise PolicyDocumentError(f"principal {value!r} is not a valid AWS principal", file=source, where=where)
    if key == "Service":
        if value == "*":
            return PrincipalRef(type=PrincipalType.ANY, value="*", written=value)
        return PrincipalRef(type=PrincipalType.SERVICE, value=value.lower(), written=value)
    if key == "Federated":
        return PrincipalRef(type=PrincipalType.FEDERATED, value=value, written=value)
    return PrincipalRef(type=PrincipalType.CANONICAL, value=value, written=value)


@dataclass(frozen=True, kw_only=True, slots=True)
class Statement:
    """One statement, normalised.  ``principals`` is None when the element is absent (identity policies)."""

    index: int
    sid: str | None
    effect: Effect
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[str, ...] | None
    not_resource: bool
    principals: tuple[PrincipalRef, ...] | None
    not_principal: bool
    condition: Mapping[str, Mapping[str, tuple[str, ...]]]
    raw: Any
    # whether a Resource (or NotResource) pattern holds a policy variable (``${``): derived, not part of the value
    resource_variables: bool = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        variables = self.resources is not None and any("${" in r for r in self.resources)
        object.__setattr__(self, "resource_variables", variables)

    @property
    def location(self) -> str:
        return f"Statement[{self.index}]"


@dataclass(frozen=True, kw_only=True, slots=True)
class PolicyDocument:
    """A parsed policy.  ``source`` is the resource it belongs to; ``name`` tells policies of one source apart."""

    source: str
    kind: EvidenceKind
    statements: tuple[Statement, ...]
    name: str | None = None
    raw: Any = field(default=None, repr=False)
    # statements_for's answers, by action: derived from ``statements``, not part of the document's value
    _for_action: dict[str, tuple[Statement, ...]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def statements_for(self, action: str) -> tuple[Statement, ...]:
        """The statements whose Action (or NotAction) element applies to ``action``, in order.

        Computed once per action: a document is asked about the same few actions for every
        caller and resource, and most of its statements name other actions.
        """
        hit = self._for_action.get(action)
        if hit is None:
            hit = self._for_action[action] = tuple(
                st for st in self.statements if any(action_matches(p, action) for p in st.actions) != st.not_action
            )
        return hit

    def evidence(self, statement: Statement, note: str | None = None) -> Evidence:
        """Evidence quoting ``statement`` exactly as written, with its index and Sid."""
        location = f"{self.name}:{statement.location}" if self.name else statement.location
        return Evidence(
            kind=self.kind, source=self.source, location=location, excerpt=statement.raw, sid=statement.sid, note=note
        )


@dataclass(frozen=True, slots=True)
class ParseMemo:
    """Statements, and documents given as JSON text, parsed so far: :func:`parse_policy` shares them among the
    documents that repeat them (one snapshot's IAM, where many users carry the same inline policy)."""

    statements: dict[tuple[object, ...], Statement] = field(default_factory=dict)
    documents: dict[tuple[object, ...], PolicyDocument] = field(default_factory=dict)


def _decode(raw: Any, *, source: str) -> Any:
    if isinstance(raw, Mapping):
        return raw
    if isinstance(raw, str):
        # a UTF-8 byte order mark and surrounding whitespace are not part of the JSON text
        text = raw.lstrip("\ufeff").strip()
        if not text.startswith("{") and "%" in text:
            text = unquote(text).lstrip("\ufeff").strip()  # URL-encoded (RFC 3986), as IAM returns it
        try:
            return load_embedded_json(text)
        except InputLimit as exc:
            raise PolicyDocumentError(f"policy is {exc.message}" if exc.message.startswith("nested")
                                      else f"policy holds {exc.message}", file=source) from None
        except json.JSONDecodeError as exc:
            raise PolicyDocumentError(f"policy is not valid JSON: {exc.msg}", file=source) from None
    raise PolicyDocumentError(f"policy must be a JSON object, not {type(raw).__name__}", file=source)


def _strings(value: Any, *, what: str, source: str, where: str) -> tuple[str, ...]:
    items = value if isinstance(value, list) else [value]
    if not items:
        raise PolicyDocumentError(f"{what} must not be empty", file=source, where=where)
    for item in items:
        if not isinstance(item, str) or not item:
            raise PolicyDocumentError(f"{what} values must be non-empty strings", file=source, where=where)
    return tuple(items)


def _condition_value(value: Any, *, source: str, where: str) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        return str(value)
    raise PolicyDocumentError(
        f"condition value {value!r} must be a string, number or boolean", file=source, where=where
    )


def _condition(value: Any, *, source: str, where: str) -> Mapping[str, Mapping[str, tuple[str, ...]]]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise PolicyDocumentError("Condition must be an object", file=source, where=where)
    out: dict[str, dict[str, tuple[str, ...]]] = {}
    for operator, block in value.items():
        if not isinstance(block, Mapping) or not block:
            raise PolicyDocumentError(f"Condition {operator} must map keys to values", file=source, where=where)
        keys: dict[str, tuple[str, ...]] = {}
        for key, values in block.items():
            items = values if isinstance(values, list) else [values]
            keys[str(key)] = tuple(_condition_value(v, source=source, where=where) for v in items)
        out[str(operator)] = keys
    return out


def _principals(value: Any, *, source: str, where: str) -> tuple[PrincipalRef, ...]:
    if value == "*":
        return (PrincipalRef(type=PrincipalType.ANY, value="*", written="*"),)
    if not isinstance(value, Mapping) or not value:
        raise PolicyDocumentError(
            'Principal must be "*" or a map of AWS/Service/Federated/CanonicalUser', file=source, where=where
        )
    refs: list[PrincipalRef] = []
    for key, values in value.items():
        if key not in _PRINCIPAL_KEYS:
            raise PolicyDocumentError(f"unknown principal type {key!r}", file=source, where=where)
        for v in _strings(values, what=f"Principal {key}", source=source, where=where):
            refs.append(parse_principal_value(key, v, source=source, where=where))
    return tuple(refs)


def _literal(text: str) -> str:
    """``text`` with every ``${`` escaped (``${$}`` is a literal ``$``), so no policy variable is substituted."""
    return text.replace("${", "${$}{")


def _statement(
    index: int, raw: Any, *, source: str, identity: bool, no_principal: bool, variables: bool = True
) -> Statement:
    where = f"Statement[{index}]"
    if not isinstance(raw, Mapping):
        raise PolicyDocumentError("a statement must be an object", file=source, where=where)
    effect_raw = raw.get("Effect")
    if effect_raw not in ("Allow", "Deny"):
        raise PolicyDocumentError(f'Effect must be "Allow" or "Deny", not {effect_raw!r}', file=source, where=where)
    if ("Action" in raw) == ("NotAction" in raw):
        raise PolicyDocumentError("a statement needs exactly one of Action or NotAction", file=source, where=where)
    if "Resource" in raw and "NotResource" in raw:
        raise PolicyDocumentError("a statement may not have both Resource and NotResource", file=source, where=where)
    if "Principal" in raw and "NotPrincipal" in raw:
        raise PolicyDocumentError("a statement may not have both Principal and NotPrincipal", file=source, where=where)
    if no_principal and ("Principal" in raw or "NotPrincipal" in raw):
        raise PolicyDocumentError("this kind of policy may not name a Principal", file=source, where=where)
    if identity and "Resource" not in raw and "NotResource" not in raw:
        raise PolicyDocumentError("an identity-based statement needs Resource or NotResource", file=source, where=where)
    not_action = "NotAction" in raw
    actions = _strings(raw["NotAction" if not_action else "Action"], what="Action", source=source, where=where)
    not_resource = "NotResource" in raw
    resources = None
    if "Resource" in raw or not_resource:
        resources = _strings(
            raw["NotResource" if not_resource else "Resource"], what="Resource", source=source, where=where
        )
    not_principal = "NotPrincipal" in raw
    principals = None
    if "Principal" in raw or not_principal:
        principals = _principals(raw["NotPrincipal" if not_principal else "Principal"], source=source, where=where)
    condition = _condition(raw.get("Condition"), source=source, where=where)
    if not variables:
        # a policy without Version 2012-10-17 has no policy variables: ${...} is literal text
        resources = tuple(_literal(r) for r in resources) if resources is not None else None
        condition = {op: {k: tuple(map(_literal, vs)) for k, vs in keys.items()} for op, keys in condition.items()}
    sid = raw.get("Sid")
    return Statement(
        index=index,
        sid=str(sid) if sid is not None else None,
        effect=Effect(effect_raw),
        actions=actions,
        not_action=not_action,
        resources=resources,
        not_resource=not_resource,
        principals=principals,
        not_principal=not_principal,
        condition=condition,
        raw=freeze_json(raw),
    )


def parse_policy(
    raw: Any,
    *,
    source: str,
    kind: EvidenceKind,
    name: str | None = None,
    require_principal: bool = False,
    parsed: ParseMemo | None = None,
) -> PolicyDocument:
    """Parse one policy document (dict, JSON string or URL-encoded JSON string).

    ``kind`` says which layer it is (and so the Evidence it yields); identity
    policies and permission boundaries may not name principals, resource, key
    and trust policies must (``require_principal``).  ``parsed``: statements of decoded JSON
    parsed before, by their text and what their parse depends on; a statement written
    alike again (the same inline policy on many users) is the same Statement.
    """
    label = f"{source} ({name})" if name else source
    whole_key: tuple[object, ...] | None = None
    if parsed is not None and type(raw) is str:
        # a document met before as this very text (an inline policy many users carry): its statements and frozen
        # copy are that one's; only the source and name are this document's
        whole_key = ("document", raw, kind, require_principal)
        seen = parsed.documents.get(whole_key)
        if seen is not None:
            return PolicyDocument(source=source, kind=kind, statements=seen.statements, name=name, raw=seen.raw)
    doc = _decode(raw, source=label)
    if not isinstance(doc, Mapping):
        raise PolicyDocumentError("policy must be a JSON object", file=label)
    statements_raw = doc.get("Statement")
    if statements_raw is None:
        raise PolicyDocumentError("policy has no Statement", file=label)
    if isinstance(statements_raw, Mapping):
        statements_raw = [statements_raw]
    if not isinstance(statements_raw, list):
        raise PolicyDocumentError("Statement must be an object or a list", file=label)
    identity = kind in (EvidenceKind.IDENTITY_POLICY, EvidenceKind.PERMISSION_BOUNDARY)
    no_principal = identity or kind is EvidenceKind.SCP
    # policy variables exist only in Version 2012-10-17; without it (2008-10-17 is the default)
    # ${...} is literal text (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html)
    variables = doc.get("Version") == "2012-10-17"
    if parsed is None:
        statements = tuple(
            _statement(i, s, source=label, identity=identity, no_principal=no_principal, variables=variables)
            for i, s in enumerate(statements_raw)
        )
    else:
        # a statement's parse depends on its text, place and these flags only (``source`` names errors, and a
        # statement met before parsed without one); repr is exact for JSON values (their types and key order)
        made: list[Statement] = []
        for i, s in enumerate(statements_raw):
            if type(s) is not dict:  # not decoded JSON: parsed on its own
                made.append(_statement(i, s, source=label, identity=identity, no_principal=no_principal,
                                       variables=variables))  # fmt: skip
                continue
            key = (repr(s), i, identity, no_principal, variables)
            st = parsed.statements.get(key)
            if st is None:
                st = parsed.statements[key] = _statement(
                    i, s, source=label, identity=identity, no_principal=no_principal, variables=variables
                )
            made.append(st)
        statements = tuple(made)
    if require_principal:
        for s in statements:
            if s.principals is None:
                raise PolicyDocumentError(
                    "a resource-based statement needs Principal or NotPrincipal", file=label, where=s.location
                )
    # the statements are frozen already: the document's copy reuses them instead of freezing them again
    frozen = tuple(s.raw for s in statements)
    whole = {**doc, "Statement": frozen[0] if isinstance(doc.get("Statement"), Mapping) else frozen}
    document = PolicyDocument(source=source, kind=kind, statements=statements, name=name, raw=freeze_json(whole))
    if whole_key is not None and parsed is not None:
        parsed.documents[whole_key] = document
    return document


# Condition keys by which a Principal "*" statement addresses AWS service principals (and on whose behalf they act)
_SERVICE_KEYS = frozenset(
    k.lower()
    for k in ("aws:PrincipalIsAWSService", "aws:PrincipalServiceName", "aws:PrincipalServiceNamesList",
              "aws:PrincipalType", "aws:SourceAccount", "aws:SourceArn", "aws:SourceOwner", "aws:SourceOrgID",
              "aws:SourceOrgPaths")
)  # fmt: skip


def addresses_services(policy: PolicyDocument | None) -> bool:
    """An Allow of ``policy`` names its audience by the service keys: AWS services are an audience of their own
    (the ``aws:any-service`` class, :meth:`.population.Population.any_service`).

    ``"Principal": "*"`` covers AWS service principals too (and RestrictPublicBuckets leaves
    them their access).  A statement that says nothing of services is read as addressing
    the public, which the public and authenticated classes stand for; one that narrows
    ``*`` with a service key reaches the ``aws:any-service`` class.
    """
    if policy is None:
        return False
    return any(
        key.lower() in _SERVICE_KEYS
        for st in policy.statements
        if st.effect is Effect.ALLOW
        for block in st.condition.values()
        for key in block
    )
