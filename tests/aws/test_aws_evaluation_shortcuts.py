"""The bucket evaluator's shortcuts (issue 17 item 4) decide exactly what the plain evaluation decides.

Each shortcut skips work whose answer cannot change a grant:

* ``granting``: only an outcome that allows becomes a grant, and
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html and
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html allow
  a request only through the caller's identity policies or a resource-side grant that names it (for a KMS key,
  https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html: the key policy must allow);
* the identity side is decided once per caller when its statements for the action hold no Condition and no policy
  variable (nothing else of a statement reads the request context);
* a permissions boundary capping a resource policy's Allow (same account, a role named by its ARN:
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html and
  https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html) is decided once per boundary
  document, action, request context (left out when none of its statements for the action has a Condition or a
  policy variable) and the answers of its Resource elements for the resource
  (:class:`~seenby.policies.aws.access.BoundaryMemo`), on the resource side and the identity side alike.

The checks run every (bucket, candidate, action) of the telemetry example, a small synthetic organisation, and an
account whose identity policies read the bucket's tags, against the plain evaluation of the same request.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from seenby.model import EvidenceKind
from seenby.policies.aws.access import BoundaryMemo, Outcome, from_decision, identity_outcome
from seenby.policies.aws.candidates import Candidate, CandidateKind
from seenby.policies.aws.context import RequestContext
from seenby.policies.aws.document import ParseMemo, PolicyDocument, parse_policy
from seenby.policies.aws.evaluate import Request, evaluate_policies
from seenby.policies.aws.iam import IdentityIndex, load_account_iam, s3_bucket_name
from seenby.policies.aws.perimeter import Perimeters, rcp_documents
from seenby.policies.aws.population import _NAMED_CALLERS
from seenby.policies.aws.s3 import ActionSpec, BucketEvaluator, BucketTarget, all_actions, all_specs, load_bucket
from seenby.policies.aws.world import AwsWorld
from seenby.registry import AwsAccountRead, TypeName
from seenby.snapshot import Snapshot, load_snapshot
from tests.synth import load_synth

ROOT = Path(__file__).resolve().parents[2]
_KMS_ACTIONS = ("kms:Decrypt", "kms:GenerateDataKey", "kms:PutKeyPolicy")


def _tagged(aws: Any) -> Snapshot:
    """One user whose identity Allow holds only on buckets tagged ``env=prod``, two buckets tagged apart, each
    encrypted with a key whose policy delegates to the account and names another user (without identity policies)
    itself, and a role whose Allow has no Condition."""
    read_prod = aws.idstmt(
        action=["s3:GetObject", "s3:ListBucket", "kms:Decrypt"], resource="*",
        condition={"StringEquals": {"aws:ResourceTag/env": "prod"}},
    )  # fmt: skip
    plain = aws.idstmt(action=["s3:*", "kms:*"], resource="*")
    key_policy = aws.policy(
        aws.stmt(principal={"AWS": aws.ROOT}, action="kms:*", resource="*"),
        aws.stmt(principal={"AWS": "arn:aws:iam::111122223333:user/bob"}, action="kms:Decrypt", resource="*"),
    )
    return aws.snapshot(
        *aws.base(
            aws.kms_key(key_policy=key_policy),
            aws.bucket("prod", tags={"env": "prod"}, encryption=aws.key_arn()),
            aws.bucket("dev", tags={"env": "dev"}, encryption=aws.key_arn()),
            users=(aws.user("alice", inline=(aws.policy(read_prod),)), aws.user("bob")),
            roles=(aws.role("admin", inline=(aws.policy(plain),)),),
        )
    )


BOUNDARY = "arn:aws:iam::111122223333:policy/data-boundary"


def _bounded(aws: Any) -> Snapshot:
    """Two roles without identity policies sharing one permissions boundary, named by every bucket's policy.

    The boundary allows everything on bucket ``prod`` (its Resource element) and ``s3:GetObject`` anywhere tagged
    ``team=data`` (its Condition reads the bucket's tags), so each bucket gets its own boundary outcome.  ``prod`` is
    encrypted with a key whose policy names the roles themselves (capped by the boundary too)."""
    boundary = aws.policy(
        aws.idstmt(action="s3:*", resource=["arn:aws:s3:::prod", "arn:aws:s3:::prod/*"]),
        aws.idstmt(action="s3:GetObject", resource="*", condition={"StringEquals": {"aws:ResourceTag/team": "data"}}),
        aws.idstmt(action=["kms:Decrypt", "kms:GenerateDataKey"], resource="*"),
    )
    roles = ("arn:aws:iam::111122223333:role/etl-a", "arn:aws:iam::111122223333:role/etl-b")
    key_policy = aws.policy(
        aws.stmt(principal={"AWS": aws.ROOT}, action="kms:*", resource="*"),
        aws.stmt(principal={"AWS": list(roles)}, action=["kms:Decrypt", "kms:GenerateDataKey"], resource="*"),
    )

    def bucket(name: str, tags: dict[str, str], **kw: Any) -> dict[str, Any]:
        actions = ["s3:GetObject", "s3:PutObject", "s3:ListBucket"]
        grant = aws.stmt(
            principal={"AWS": list(roles)}, action=actions, resource=[f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]
        )
        return aws.bucket(name, tags=tags, policy=aws.policy(grant), **kw)

    return aws.snapshot(
        *aws.base(
            aws.kms_key(key_policy=key_policy),
            bucket("prod", {"team": "ops"}, encryption=aws.key_arn()),
            bucket("dev", {"team": "data"}),
            bucket("other", {"team": "ops"}),
            roles=(aws.role("etl-a", boundary=BOUNDARY), aws.role("etl-b", boundary=BOUNDARY)),
            policies=(aws.managed(BOUNDARY, boundary),),
        )
    )


@pytest.fixture(scope="module")
def snapshots(aws: Any, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Snapshot]:
    out = tmp_path_factory.mktemp("synth-shortcuts")
    synth = load_synth()
    synth.generate(synth.Sizes(people=200, datasets=160, accounts=3, projects=2), seed=11, out=out)
    return {
        "telemetry example": load_snapshot(ROOT / "examples" / "telemetry-incident" / "snapshot.json"),
        "synthetic": load_snapshot(out / "snapshot.json"),
        "tagged": _tagged(aws),
        "bounded": _bounded(aws),
    }


def _evaluator(snapshot: Snapshot) -> tuple[AwsWorld, BucketEvaluator]:
    world = AwsWorld.build(snapshot)
    index = IdentityIndex(actions=(*all_actions(), *_KMS_ACTIONS))
    for iam in world.iams.values():
        for entity in iam.entities():
            index.add(entity, name_of=s3_bucket_name)
    return world, BucketEvaluator(world=world, index=index)


def _requests(snapshot: Snapshot) -> Iterator[tuple[AwsWorld, BucketEvaluator, BucketTarget, Candidate, ActionSpec]]:
    world, ev = _evaluator(snapshot)
    for res in snapshot.of_type(TypeName.AWS_S3_BUCKET):
        target = ev.prepare(load_bucket(res, world.account_level_bpa(res.account)))
        for c in ev.candidates(target):
            for spec in all_specs():
                yield world, ev, target, c, spec


NAMES = ["telemetry example", "synthetic", "tagged", "bounded"]


@pytest.mark.parametrize("name", NAMES)
def test_granting_keeps_every_allowing_outcome(snapshots: dict[str, Snapshot], name: str) -> None:
    """``action_outcome(granting=True)`` is the plain outcome when that allows, and never allows otherwise."""
    checked = allowing = 0
    for _, ev, target, c, spec in _requests(snapshots[name]):
        plain = ev.action_outcome(target.bucket, target.key, c, spec)
        fast = ev.action_outcome(target.bucket, target.key, c, spec, granting=True, context=ev.context(c, target))
        if plain.allows:
            allowing += 1
            assert fast == plain, (target.arn, c.key, spec.action)
        else:
            assert not fast.allows, (target.arn, c.key, spec.action)
        checked += 1
    assert checked and allowing  # the organisations exercise both branches


@pytest.mark.parametrize("name", NAMES)
def test_granting_key_outcome_keeps_every_allowing_outcome(snapshots: dict[str, Snapshot], name: str) -> None:
    """``key_outcome(granting=True)`` is the plain KMS layer when that allows, and never allows otherwise."""
    checked = 0
    for _, ev, target, c, spec in _requests(snapshots[name]):
        key = target.key
        if key is None or key.aws_managed or key.policy is None or spec.kms_action is None:
            continue
        for action, ctx in ((spec.kms_action, target.bucket.kms_context()), ("kms:PutKeyPolicy", {})):
            plain = ev.key_outcome(key, c, action, ctx)
            fast = ev.key_outcome(key, c, action, ctx, granting=True)
            assert fast == plain if plain.allows else not fast.allows, (key.arn, c.key, action)
            checked += 1
    assert checked


@pytest.mark.parametrize("name", NAMES)
def test_identity_side_is_the_plain_identity_evaluation(snapshots: dict[str, Snapshot], name: str) -> None:
    """The evaluator's identity side (decided once per caller when no statement reads the context) is
    :func:`identity_outcome` of the very request, for every candidate with identity policies."""
    checked = 0
    for world, ev, target, c, spec in _requests(snapshots[name]):
        entity = world.population.entity_of.get(c.key)
        if entity is None:
            continue
        resource = f"{target.arn}/*" if spec.object_level else target.arn
        request = Request(action=spec.action, resource=resource, context=ev.context(c, target))
        got, _ = ev.identity(c, request, target.account)
        assert got == identity_outcome(entity, request, own_allows_only=c.kind is CandidateKind.USER), (
            target.arn, c.key, spec.action,
        )  # fmt: skip
        checked += 1
    assert checked


def test_a_tag_condition_in_an_identity_policy_is_decided_per_bucket(snapshots: dict[str, Snapshot]) -> None:
    """An identity Allow conditioned on the bucket's tag allows on the tagged bucket only (the context is read)."""
    world, ev = _evaluator(snapshots["tagged"])
    entity = world.entity("arn:aws:iam::111122223333:user/alice")
    assert entity is not None
    alice = world.population.entity(entity)
    outcomes = {}
    for res in snapshots["tagged"].of_type(TypeName.AWS_S3_BUCKET):
        target = ev.prepare(load_bucket(res, world.account_level_bpa(res.account)))
        request = Request(action="s3:GetObject", resource=f"{target.arn}/*", context=ev.context(alice, target))
        outcomes[res.name] = ev.identity(alice, request, target.account)[0].allows
    assert outcomes == {"prod": True, "dev": False}


def _plain_boundary(world: AwsWorld, c: Candidate, request: Request) -> tuple[object, Outcome] | None:
    """The boundary document of ``c``'s entity and its plain evaluation for ``request``, or None without one."""
    entity = world.population.entity_of.get(c.key)
    if entity is None or entity.boundary is None:
        return None
    return entity.boundary, from_decision(evaluate_policies([entity.boundary], request))


@pytest.mark.parametrize("name", NAMES)
def test_boundary_memo_is_the_plain_boundary_evaluation(snapshots: dict[str, Snapshot], name: str) -> None:
    """One :class:`BoundaryMemo` shared by every bucket, caller and action answers what evaluating the boundary
    document for that very request answers."""
    memo = BoundaryMemo()
    checked = 0
    for world, ev, target, c, spec in _requests(snapshots[name]):
        resource = f"{target.arn}/*" if spec.object_level else target.arn
        request = Request(action=spec.action, resource=resource, context=ev.context(c, target))
        plain = _plain_boundary(world, c, request)
        if plain is None:
            continue
        entity = world.population.entity_of[c.key]
        assert memo.outcome(entity, request) == plain[1], (target.arn, c.key, spec.action)
        checked += 1
    assert checked or name in ("telemetry example", "tagged")  # the synthetic and bounded ones have boundaries


def test_a_shared_boundary_is_decided_per_bucket(snapshots: dict[str, Snapshot]) -> None:
    """Roles sharing a boundary reach only what it allows on each bucket: everything on ``prod`` (its Resource),
    ``s3:GetObject`` on the bucket tagged ``team=data`` (its Condition), nothing on ``other``."""
    world, ev = _evaluator(snapshots["bounded"])
    reached: dict[tuple[str, str], set[str]] = {}
    for res in snapshots["bounded"].of_type(TypeName.AWS_S3_BUCKET):
        target = ev.prepare(load_bucket(res, world.account_level_bpa(res.account)))
        for c in ev.candidates(target):
            if not c.key.startswith("arn:aws:iam::111122223333:role/etl-"):
                continue
            for spec in all_specs():
                if spec.action in ("s3:GetObject", "s3:PutObject", "s3:ListBucket"):
                    o = ev.action_outcome(target.bucket, target.key, c, spec, granting=True)
                    if o.allows:
                        reached.setdefault((c.key.rsplit("/", 1)[-1], res.name), set()).add(spec.action)
    everything = {"s3:GetObject", "s3:PutObject", "s3:ListBucket"}
    assert reached == {
        ("etl-a", "prod"): everything, ("etl-b", "prod"): everything,
        ("etl-a", "dev"): {"s3:GetObject"}, ("etl-b", "dev"): {"s3:GetObject"},
    }  # fmt: skip


def test_roles_bounded_by_one_managed_policy_share_its_document(snapshots: dict[str, Snapshot]) -> None:
    """The boundary document of an account's managed policy is made once for every entity it bounds, so the
    boundary memo decides it once for all of them."""
    world = AwsWorld.build(snapshots["bounded"])
    a = world.entity("arn:aws:iam::111122223333:role/etl-a")
    b = world.entity("arn:aws:iam::111122223333:role/etl-b")
    assert a is not None and b is not None and a.boundary is not None
    assert a.boundary is b.boundary and a.boundary.source == BOUNDARY


# -- shared parses and per-snapshot keys (issue 17 item 4, fourth round) -------------------------------------------


def _gaads(snapshot: Snapshot) -> Iterator[tuple[str, dict[str, Any]]]:
    for res in snapshot.of_type(TypeName.AWS_ACCOUNT):
        gaad = res.document(AwsAccountRead.AUTHORIZATION_DETAILS)
        if isinstance(gaad, dict):
            yield res.account or res.id, gaad


@pytest.mark.parametrize("name", NAMES)
def test_statements_shared_among_documents_parse_as_their_own(snapshots: dict[str, Snapshot], name: str) -> None:
    """Every account's IAM loaded with one table of parsed statements is the IAM of each parsed alone."""
    parsed = ParseMemo()
    for account, gaad in _gaads(snapshots[name]):
        shared, alone = load_account_iam(account, gaad, parsed), load_account_iam(account, gaad)
        pairs = list(zip(shared.entities(), alone.entities(), strict=True))
        for a, b in pairs:
            assert (a.arn, a.policies, a.boundary, a.trust) == (b.arn, b.policies, b.boundary, b.trust)
    if name == "synthetic":  # its users repeat one another's inline statements: some are shared
        assert len(parsed.statements) < _statement_count(snapshots[name])


def _statement_count(snapshot: Snapshot) -> int:
    total = 0
    for account, gaad in _gaads(snapshot):
        for e in load_account_iam(account, gaad).entities():
            total += sum(len(d.statements) for d in e.policies) + (len(e.trust.statements) if e.trust else 0)
    return total


def test_a_shared_statement_keeps_its_place_and_its_version() -> None:
    """The same statement text parses by where it stands and by the document's Version (policy variables exist
    only in 2012-10-17, https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html)."""
    st = {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b/${aws:username}/*"}
    parsed = ParseMemo()

    def parse(doc: dict[str, Any]) -> PolicyDocument:
        return parse_policy(doc, source="arn:aws:iam::111122223333:user/u", kind=EvidenceKind.IDENTITY_POLICY,
                            parsed=parsed)  # fmt: skip

    first = parse({"Version": "2012-10-17", "Statement": [st]})
    second = parse({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}, st]})
    old = parse({"Version": "2008-10-17", "Statement": [st]})
    assert first.statements[0].index == 0 and second.statements[1].index == 1
    assert first.statements[0].resources == ("arn:aws:s3:::b/${aws:username}/*",)
    assert old.statements[0].resources != first.statements[0].resources  # ${...} is literal text there
    again = parse({"Version": "2012-10-17", "Statement": [dict(st)]})
    assert again.statements[0] is first.statements[0]
    # a document given as JSON text (as IAM returns inline policies), met again under another source
    text = json.dumps({"Version": "2012-10-17", "Statement": [st]})
    for source in ("arn:aws:iam::111122223333:user/a", "arn:aws:iam::111122223333:user/b"):
        for kind in (EvidenceKind.IDENTITY_POLICY, EvidenceKind.PERMISSION_BOUNDARY):
            shared = parse_policy(text, source=source, kind=kind, name="p", parsed=parsed)
            assert shared == parse_policy(text, source=source, kind=kind, name="p")
    a, b = (parse_policy(text, source=f"arn:aws:iam::111122223333:user/{u}", kind=EvidenceKind.IDENTITY_POLICY,
                         parsed=parsed) for u in "ab")  # fmt: skip
    assert a.statements is b.statements and a.source != b.source


@pytest.mark.parametrize("name", NAMES)
def test_request_contexts_are_the_plain_merge(snapshots: dict[str, Snapshot], name: str) -> None:
    """The context of a caller on a bucket (resource keys kept per context scope, merged without re-lowering) is
    the caller's context built again with the bucket's resource keys.  (It found that buckets alike in account and
    tags, with ABAC unknown, shared one context whose tag keys' doubt named the first of them; the doubt names no
    bucket now.)"""
    checked = 0
    for _, ev, target, c, spec in _requests(snapshots[name]):
        if spec is not all_specs()[0]:
            continue
        got = ev.context(c, target)
        base = c.context
        want = RequestContext(
            values={**base.values, **ev.resource_keys(target)}, principal_tags=base.principal_tags,
            anonymous=base.anonymous, tags_chosen=base.tags_chosen, now=base.now, on_behalf=base.on_behalf,
        )  # fmt: skip
        assert got == want, (target.arn, c.key)
        checked += 1
    assert checked


@pytest.mark.parametrize("name", NAMES)
def test_action_groups_kept_by_their_parts_are_each_requests_own(snapshots: dict[str, Snapshot], name: str) -> None:
    """The audited actions' grouping, kept by the bucket's and the caller's Action elements, is the grouping a
    fresh evaluator (nothing kept yet) makes for that very bucket and caller."""
    snapshot = snapshots[name]
    checked = compared = 0
    for _, ev, target, c, spec in _requests(snapshot):
        if spec is not all_specs()[0]:
            continue
        if checked % 25 == 0:  # a fresh world and evaluator for every 25th request
            world, fresh = _evaluator(snapshot)
            entity = world.entity(c.key) if not c.variant else None
            fc = fresh.population.entity(entity) if entity is not None else c
            assert ev.action_groups(target.bucket, c) == fresh.action_groups(target.bucket, fc), (target.arn, c.key)
            compared += 1
        checked += 1
    assert compared


@pytest.mark.parametrize("name", [*NAMES, "perimeter"])
def test_network_variants_are_those_of_every_document_scanned_at_once(
    snapshots: dict[str, Snapshot], aws: Any, name: str
) -> None:
    """:meth:`Population.with_networks` (the networks of the resource's documents, each caller's SCPs and each
    entity's own documents found apart and joined) adds the variants one scan of all those documents adds."""
    snapshot = snapshots[name] if name in snapshots else _perimeter(aws)
    world, ev = _evaluator(snapshot)
    pop, perimeters = world.population, Perimeters(world.memo, world.directory)
    checked = 0
    for res in snapshot.of_type(TypeName.AWS_S3_BUCKET):
        target = ev.prepare(load_bucket(res, world.account_level_bpa(res.account)))
        plain = [c for c in ev.candidates(target) if not c.variant]
        docs = (target.bucket.policy, target.key.policy if target.key else None,
                *rcp_documents(world.memo, world.directory, target.account))  # fmt: skip
        want = list(plain)
        for c in plain:
            entity = pop.entity_of.get(c.key)
            if entity is not None:
                want += pop.through_networks(c, (*docs, *perimeters.of_caller(c), *entity.identity_documents()))
            elif c.kind.is_class or c.kind in _NAMED_CALLERS:
                want += pop.through_networks(c, (*docs, *perimeters.of_caller(c)))
        got = pop.with_networks(plain, docs, target.account, perimeters.of_caller)
        assert [c.key for c in got] == [c.key for c in want], target.arn
        checked += len(got) - len(plain)
    if name == "perimeter":
        assert checked  # the organisation names networks: variants were made and compared


def _perimeter(aws: Any) -> Snapshot:
    """A public bucket behind an RCP that lets callers in only from the company's range, an SCP on the owner account
    that confines its principals to another range, and a user whose own policy names a third."""
    def deny_outside(cidr: str, *, principal: bool) -> dict:
        st = {"Effect": "Deny", "Action": "s3:*", "Resource": "*",
              "Condition": {"NotIpAddressIfExists": {"aws:SourceIp": cidr}}}  # fmt: skip
        return aws.policy({**st, "Principal": "*"} if principal else st)

    everything = aws.policy({"Effect": "Allow", "Action": "*", "Resource": "*"})
    rcp_full = aws.policy({"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"})
    org = aws.organization(
        rcps=((rcp_full, ("r-ab12",)), (deny_outside("203.0.113.0/24", principal=True), ("r-ab12",))),
        scps=((everything, ("r-ab12",)), (deny_outside("192.0.2.0/24", principal=False), (aws.ACCT,))),
    )
    own = aws.idstmt(action="s3:GetObject", resource="*", condition={"IpAddress": {"aws:SourceIp": "198.51.100.0/24"}})
    public = aws.bucket(policy=aws.policy(aws.stmt(principal="*", action="s3:GetObject", resource="arn:aws:s3:::b/*")))
    account = aws.account(aws.ACCT, bpa=aws.bpa(), users=(aws.user("alice", inline=(aws.policy(own),)),))
    return aws.snapshot(org, account, public)
