"""Helpers for web forms that call services."""

from __future__ import annotations

from django import forms

from .errors import DomainError


def apply_domain_error(form: forms.Form, error: DomainError) -> None:
    """Show a service's refusal on the form: field messages by their field, the rest on top."""
    placed = False
    for field, messages in (error.fields or {}).items():
        target = field if field in form.fields else None
        for message in messages:
            form.add_error(target, message)
            placed = True
    if not placed:
        form.add_error(None, error.message)
