"""`{% translate %}` of a literal keeps its output per language (kopdes/core/templatetags/i18n_literals.py):
each language still gets its own words, escaped as before; the other forms are Django's own."""

from __future__ import annotations

from django.template import Context, engines
from django.templatetags.i18n import TranslateNode
from django.utils import translation

from kopdes.core.templatetags.i18n_literals import LiteralTranslateNode


def render(source: str, **context) -> str:
    return engines["django"].from_string(source).render(context)


def test_a_literal_is_translated_in_each_language_in_turn():
    template = engines["django"].from_string('{% translate "Log in" %}|{% trans "Cart" %}')
    assert isinstance(template.template.nodelist[0], LiteralTranslateNode)
    for _round in range(2):  # the second round comes from what the node kept
        with translation.override("id"):
            assert template.render({}) == "Masuk|Keranjang"
        with translation.override("en"):
            assert template.render({}) == "Log in|Cart"


def test_the_output_is_djangos_own_in_every_language_and_autoescape_mode():
    """Django's own tag (a template that loads i18n itself gets it) is the oracle."""
    source = '{% translate "Fish & <chips>" %}|{% translate "Log in" %}|{% translate "100%% sure" %}'
    ours = engines["django"].from_string(source).template
    theirs = engines["django"].from_string("{% load i18n %}" + source).template
    assert isinstance(ours.nodelist[0], LiteralTranslateNode)
    assert type(theirs.nodelist[1]) is TranslateNode
    for language in ("id", "en", "id"):
        for autoescape in (True, False, True):
            with translation.override(language):
                expected = theirs.render(Context({}, autoescape=autoescape))
                assert ours.render(Context({}, autoescape=autoescape)) == expected
    with translation.override("id"):
        assert ours.render(Context({})).split("|")[1] == "Masuk"


def test_variables_filters_as_and_noop_are_djangos_own_nodes():
    with translation.override("id"):
        assert render("{% translate word %}", word="Cart") == "Keranjang"
        assert render("{% translate word %}", word="Log in") == "Masuk"
        assert render('{% translate "Cart" as label %}[{{ label }}]') == "[Keranjang]"
        assert render('{% translate "Cart" noop %}') == "Cart"
        assert render('{% translate "cart"|upper %}') == "CART"
    template = engines["django"].from_string('{% translate "Cart" as label %}{% translate word %}')
    assert all(type(node) is TranslateNode for node in template.template.nodelist)
