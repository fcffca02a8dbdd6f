"""seenby.fix.jsonpatch follows RFC 6902 (https://www.rfc-editor.org/rfc/rfc6902) for the operations fixes use."""

from __future__ import annotations

import pytest

from seenby.fix.jsonpatch import PatchError, apply_patch, pointer, tokens


def test_add_object_member():
    """RFC 6902 A.1: adding an object member."""
    assert apply_patch({"foo": "bar"}, [{"op": "add", "path": "/baz", "value": "qux"}]) == {"foo": "bar", "baz": "qux"}


def test_add_array_element():
    """RFC 6902 A.2: adding an array element shifts the rest."""
    doc = {"foo": ["bar", "baz"]}
    assert apply_patch(doc, [{"op": "add", "path": "/foo/1", "value": "qux"}]) == {"foo": ["bar", "qux", "baz"]}


def test_remove_array_element():
    """RFC 6902 A.4: removing an array element."""
    assert apply_patch({"foo": ["bar", "qux", "baz"]}, [{"op": "remove", "path": "/foo/1"}]) == {"foo": ["bar", "baz"]}


def test_replace_value():
    """RFC 6902 A.5: replacing a value."""
    assert apply_patch({"baz": "qux", "foo": "bar"}, [{"op": "replace", "path": "/baz", "value": "boo"}]) == {
        "baz": "boo",
        "foo": "bar",
    }


def test_failed_test_refuses_the_whole_patch():
    """RFC 6902 A.9 / §5: a failed test makes the whole patch fail."""
    with pytest.raises(PatchError):
        apply_patch({"baz": "qux"}, [{"op": "test", "path": "/baz", "value": "bar"}])


def test_remove_of_missing_member_fails():
    """RFC 6902 §4.2: the target location must exist for remove."""
    with pytest.raises(PatchError):
        apply_patch({"a": 1}, [{"op": "remove", "path": "/b"}])


def test_whole_document_add_replaces_it():
    """RFC 6902 §4.1: adding at the root pointer "" replaces the whole document (an absent read gains one)."""
    assert apply_patch(None, [{"op": "add", "path": "", "value": {"x": 1}}]) == {"x": 1}


def test_original_document_is_not_changed():
    """apply_patch works on a copy."""
    doc = {"a": [1, 2]}
    apply_patch(doc, [{"op": "remove", "path": "/a/0"}])
    assert doc == {"a": [1, 2]}


def test_pointer_escapes_round_trip():
    """RFC 6901 §3-4: ~ is ~0 and / is ~1 (condition operators such as ForAnyValue:StringLike stay intact)."""
    parts = ["Condition", "a/b~c", 0]
    assert pointer(parts) == "/Condition/a~1b~0c/0"
    assert tokens(pointer(parts)) == ["Condition", "a/b~c", "0"]
