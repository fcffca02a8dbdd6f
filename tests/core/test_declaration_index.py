"""Rules.declarations_for (entries filed by a tag they require) picks what declaration_for picks for each dataset."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from seenby.config import AUDIENCE_TAG, DatasetDeclaration, DatasetMatch, DeclaredAudience, Rules
from seenby.model import Dataset, DatasetKind, Provider

_tag = st.sampled_from(["unit", "kind", "env"])
_value = st.sampled_from(["a", "b", "c"])
_tags = st.dictionaries(_tag, _value, max_size=3)
_match = st.builds(
    DatasetMatch,
    ids=st.lists(st.sampled_from(["arn:aws:s3:::b1", "arn:aws:s3:::b*", "gs://g?", "*"]), max_size=2).map(tuple),
    tags=_tags,
    provider=st.sampled_from([None, Provider.AWS, Provider.GCP]),
)
_dataset = st.builds(
    lambda n, tags, audience: Dataset(
        id=f"arn:aws:s3:::{n}" if n.startswith("b") else f"gs://{n}",
        kind=DatasetKind.S3_BUCKET if n.startswith("b") else DatasetKind.GCS_BUCKET,
        provider=Provider.AWS if n.startswith("b") else Provider.GCP,
        name=n,
        tags={**tags, **({AUDIENCE_TAG: audience} if audience else {})},
    ),
    st.sampled_from(["b1", "b2", "g1", "g22"]),
    _tags,
    st.sampled_from([None, "team-a"]),
)


@settings(max_examples=200, deadline=None)
@given(matches=st.lists(_match, max_size=8), datasets=st.lists(_dataset, max_size=6, unique_by=lambda d: d.id))
def test_indexed_declarations_equal_the_first_match(matches: list[DatasetMatch], datasets: list[Dataset]) -> None:
    """For every dataset the index gives the first entry that matches it, else its seenby:audience tag's audience."""
    entries = tuple(
        DatasetDeclaration(
            match=m,
            audience=DeclaredAudience(read=(f"r{i}",)),
            classification=None,
            where=f"rules.yaml:{i}",
            label=f"datasets[{i}]",
        )
        for i, m in enumerate(matches)
    )
    rules = Rules(source="rules.yaml", audiences={"team-a": ("group:a@corp.example",)}, datasets=entries)

    assert rules.declarations_for(datasets) == {d.id: rules.declaration_for(d) for d in datasets}
