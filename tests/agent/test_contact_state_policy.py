"""Every policy field the fold reads is in the contact state's fingerprint (issue 16).

A field read by rules/contacts.py or rules/contacts_acc.py but missing from FOLD_POLICY
changes contacts without a full refold: the persisted state silently keeps the old answer.
The reads are found in the source (ast), so the next field added there cannot be missed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import touchbase.rules.contacts as contacts
import touchbase.rules.contacts_acc as contacts_acc
from touchbase.agent.pipeline.contact_state import FOLD_POLICY, fingerprint
from touchbase.rules.policy import Policy, load_policy

# The names a policy is bound to in those modules: a parameter `policy`, `pol`, `self.policy`.
_HOLDERS = {"policy", "pol"}


def _policy_reads(source: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Attribute):
            continue
        holder = node.value
        if (isinstance(holder, ast.Name) and holder.id in _HOLDERS) or (
            isinstance(holder, ast.Attribute)
            and holder.attr in _HOLDERS
            and isinstance(holder.value, ast.Name)
            and holder.value.id == "self"
        ):
            found.add(node.attr)
    return found


def test_every_policy_field_the_fold_reads_is_in_the_fingerprint() -> None:
    reads: set[str] = set()
    for module in (contacts, contacts_acc):
        assert module.__file__ is not None
        reads |= _policy_reads(Path(module.__file__).read_text(encoding="utf-8"))
    fields = set(Policy.__dataclass_fields__)
    # The walk found real fields (a rename of the holders would make this test vacuous).
    assert {"near_daily_window", "sensitive_topics", "cc_weight"} <= reads
    assert reads <= fields, reads - fields
    assert reads <= set(FOLD_POLICY), sorted(reads - set(FOLD_POLICY))


def test_the_walk_sees_each_way_a_policy_is_read() -> None:
    source = "def f(policy, pol):\n    return policy.a, pol.b, self.policy.c, other.d, self.x.e\n"
    assert _policy_reads(source) == {"a", "b", "c"}


def test_changing_the_new_fields_changes_the_fingerprint() -> None:
    base = load_policy({})
    me = ("o@x.example",)
    for changed in ({"near_daily_window": "3d"}, {"sensitive_topics": ["funeral", "surgery"]}):
        assert fingerprint(load_policy(changed), me) != fingerprint(base, me), changed
