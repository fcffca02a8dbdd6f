"""The Google Cloud condition catalogue: documented in docs/gcp.md, and covering what cel.py decides.

Attributes and their pages: https://cloud.google.com/iam/docs/conditions-attribute-reference and
https://cloud.google.com/iam/docs/conditions-resource-attributes.
"""

from __future__ import annotations

import re
from pathlib import Path

from seenby.model import ConditionFamily
from seenby.policies.condition_catalogue import gcp_catalogue, markdown_table
from seenby.policies.gcp.cel import DECIDED_ATTRIBUTES, CelResource, attribute_family

DOC = Path(__file__).resolve().parents[2] / "docs" / "gcp.md"
_BLOCK = re.compile(r"<!-- condition-catalogue:start -->\n(.*?)<!-- condition-catalogue:end -->", re.DOTALL)


def test_doc_block_is_the_rendered_catalogue() -> None:
    """docs/gcp.md holds exactly markdown_table(gcp_catalogue()) between its marker comments."""
    [block] = _BLOCK.findall(DOC.read_text(encoding="utf-8"))
    assert block.strip() == markdown_table(gcp_catalogue()).strip()


def test_every_decided_attribute_is_catalogued() -> None:
    """Every attribute cel.py decides has a catalogue entry with a family other than unmodelled."""
    missing = {a for a in DECIDED_ATTRIBUTES if attribute_family(a) is ConditionFamily.UNMODELLED}
    assert missing == set()


def test_known_resource_attributes_are_the_decided_ones() -> None:
    """A resource with every attribute known decides only attributes listed in DECIDED_ATTRIBUTES."""
    full = CelResource(service="s", type="t", name="n", tags=(), tag_ids=())
    assert {a.removesuffix("()") for a in full.known()} <= DECIDED_ATTRIBUTES


def test_every_entry_cites_a_google_page() -> None:
    """Each catalogue entry cites a cloud.google.com documentation page."""
    assert [e.key for e in gcp_catalogue().entries if not e.doc.startswith("https://cloud.google.com/")] == []
