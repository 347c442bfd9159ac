"""Every message can be found by makemessages.

xgettext finds a message by the name of the function called on it: `_`, or a translation
function's own name (`gettext_lazy`, `ngettext`, `pgettext`...). A function imported under any
other name (`gettext_lazy as _lazy`) hides its messages from the catalogue, and the page shows
them in English (the checkout form's labels did, until 2026-11-24).
"""

from __future__ import annotations

import ast
from pathlib import Path

import kopdes

SOURCE = Path(kopdes.__file__).resolve().parent


def _hidden_names(source: Path = SOURCE) -> list[str]:
    hidden = []
    for path in sorted(source.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module == "django.utils.translation":
                for alias in node.names:
                    if "gettext" in alias.name and alias.asname not in (None, "_"):
                        where = f"{path.relative_to(source.parent)}:{node.lineno}"
                        hidden.append(f"{where}: {alias.name} as {alias.asname}")
    return hidden


def test_translation_functions_keep_names_that_makemessages_reads():
    assert _hidden_names() == []


def test_the_check_would_see_a_hidden_name(tmp_path):
    module = tmp_path / "kopdes" / "hidden.py"
    module.parent.mkdir()
    module.write_text(
        "from django.utils.translation import gettext as _, gettext_lazy as _lazy, ngettext\n",
        encoding="utf-8",
    )

    assert _hidden_names(module.parent) == ["kopdes/hidden.py:1: gettext_lazy as _lazy"]
