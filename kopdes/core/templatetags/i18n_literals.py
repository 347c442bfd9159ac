"""`{% translate "…" %}` of a literal string, its output kept per language.

A page of the shell and the catalog renders some 35 of them; each one looked its message up in
the active catalogue (through the thread-local language) and escaped the result, on every request.
The output of a literal's tag depends only on the language and on autoescaping, so the node keeps
it for each pair. Installed after Django's i18n library among the template builtins (settings),
so every template's `translate` and `trans` of a literal go through it; a template that loads
`i18n` itself gets Django's own tag. Everything else (a variable, filters, `as`, `context`,
`noop`) is Django's node unchanged.
"""

from __future__ import annotations

from django import template
from django.templatetags.i18n import TranslateNode, do_translate
from django.utils.translation import get_language

register = template.Library()


class LiteralTranslateNode(TranslateNode):
    def __init__(self, node: TranslateNode) -> None:
        super().__init__(node.filter_expression, node.noop, node.asvar, node.message_context)
        self.rendered: dict[tuple[str | None, bool], str] = {}

    def render(self, context) -> str:
        key = (get_language(), context.autoescape)
        value = self.rendered.get(key)
        if value is None:
            value = self.rendered[key] = super().render(context)
        return value


def _literal(node: TranslateNode) -> bool:
    expression = node.filter_expression
    return (
        not node.noop
        and node.asvar is None
        and node.message_context is None
        and not expression.filters
        and isinstance(expression.var.literal, str)
    )


@register.tag("translate")
@register.tag("trans")
def translate(parser, token) -> TranslateNode:
    node = do_translate(parser, token)
    return LiteralTranslateNode(node) if _literal(node) else node
