"""Every spoken sentence lives once in routing/prompts.py: no name there is given two sentences."""
from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

import routing.prompts

PROMPTS = Path(routing.prompts.__file__)


def test_no_sentence_name_is_assigned_twice_so_none_is_silently_replaced():
    names = Counter(target.id for node in ast.parse(PROMPTS.read_text()).body if isinstance(node, ast.Assign)
                    for target in node.targets if isinstance(target, ast.Name))
    assert [name for name, n in names.items() if n > 1] == []


def test_the_fail_safe_s_last_words_still_send_a_child_in_danger_to_999():
    assert "999" in routing.prompts.NO_ONE_ANSWERED
