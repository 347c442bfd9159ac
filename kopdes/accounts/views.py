from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kopdes.core.errors import DomainError
from kopdes.core.forms import apply_domain_error
from kopdes.core.paging import paginate
from kopdes.core.policies import require

from . import selectors, services
from .choices import Role
from .forms import (
    LoginForm,
    OrganizationForm,
    PasswordForm,
    RegisterForm,
    RoleGrantForm,
    TokenForm,
    UserCreateForm,
)
from .models import User


class AuthedRequest(HttpRequest):
    """A request behind @login_required: its user is a real account."""

    user: User


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


def locked_out(request, credentials, *args, **kwargs) -> HttpResponse:
    """django-axes calls this when an account+address pair has failed too often."""
    from kopdes.core.audit import audit_record

    from .backends import axes_username

    audit_record(
        actor=None,
        action="auth.locked_out",
        object_type="accounts.user",
        object_repr=axes_username(request, credentials)[:200],
    )
    return render(request, "accounts/locked_out.html", status=429)


@require_http_methods(["GET", "POST"])
def register(request: HttpRequest) -> HttpResponse:
    require(request.user, "core.home.view")
    form = RegisterForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_register(**form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            login(request, user, backend="kopdes.accounts.backends.PhoneOrEmailBackend")
            messages.success(request, _("Welcome to Kopdes, %(name)s.") % {"name": user.full_name})
            return redirect("core:home")
    return render(request, "accounts/register.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def profile(request: AuthedRequest) -> HttpResponse:
    require(request.user, "accounts.profile.view")
    token_form = TokenForm(prefix="token")
    password_form = PasswordForm(prefix="pw")
    new_key = None
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "token":
                token_form = TokenForm(request.POST, prefix="token")
                if token_form.is_valid():
                    _token, new_key = services.token_create(actor=request.user, **token_form.cleaned_data)
                    token_form = TokenForm(prefix="token")
            elif action == "revoke":
                token = selectors.token_get(user=request.user, pk=int(request.POST.get("token", 0)))
                services.token_revoke(actor=request.user, token=token)
                messages.success(request, _("The token has been revoked."))
                return redirect("accounts:profile")
            elif action == "password":
                password_form = PasswordForm(request.POST, prefix="pw")
                if password_form.is_valid():
                    services.user_set_password(
                        actor=request.user,
                        user=request.user,
                        password=password_form.cleaned_data["password"],
                    )
                    from django.contrib.auth import update_session_auth_hash

                    update_session_auth_hash(request, request.user)
                    messages.success(request, _("Your password has been changed."))
                    return redirect("accounts:profile")
        except DomainError as exc:
            apply_domain_error(password_form if action == "password" else token_form, exc)
    context = {
        "roles": request.user.active_roles(),
        "tokens": selectors.token_list(user=request.user),
        "token_form": token_form,
        "password_form": password_form,
        "new_key": new_key,
    }
    return render(request, "accounts/profile.html", context)


@login_required
def user_list(request: AuthedRequest) -> HttpResponse:
    filters = {
        "query": request.GET.get("q", "").strip()[:100],
        "region": request.GET.get("region", ""),
        "role": request.GET.get("role", "") if request.GET.get("role", "") in Role.values else "",
    }
    users = selectors.user_list(user=request.user, **filters)
    page = paginate(request, users)
    return render(
        request,
        "accounts/user_list.html",
        {"page": page, "filters": filters, "roles": Role.choices},
    )


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: AuthedRequest) -> HttpResponse:
    require(request.user, "accounts.user.list")
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The account has been created."))
            return redirect(user.get_absolute_url())
    return render(request, "accounts/user_form.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def user_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    target = selectors.user_get(user=request.user, pk=pk)
    # The organisations offered are those of the person's own regency: a national list would be
    # tens of thousands of options. (The API takes any organisation id in the admin's region.)
    organizations = None
    if request.user.pk != target.pk and target.region_id:
        organizations = selectors.organization_list(user=request.user, region=target.region_id[:5])
    grant_form = RoleGrantForm(organizations=organizations, prefix="grant")
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "grant":
                grant_form = RoleGrantForm(request.POST, organizations=organizations, prefix="grant")
                if grant_form.is_valid():
                    services.role_grant(actor=request.user, user=target, **grant_form.cleaned_data)
                    messages.success(request, _("The role has been granted."))
                    return redirect(target.get_absolute_url())
            elif action == "revoke":
                assignment = selectors.role_assignment_get(
                    user=request.user, pk=int(request.POST.get("assignment", 0))
                )
                if assignment.user_id != target.pk:
                    raise DomainError(_("This role belongs to someone else."))
                services.role_revoke(actor=request.user, assignment=assignment)
                messages.success(request, _("The role has been revoked."))
                return redirect(target.get_absolute_url())
            elif action in ("suspend", "activate"):
                services.user_set_active(actor=request.user, user=target, active=action == "activate")
                messages.success(request, _("The account has been updated."))
                return redirect(target.get_absolute_url())
        except DomainError as exc:
            apply_domain_error(grant_form, exc)
    context = {
        "target": target,
        "assignments": selectors.user_roles(user=request.user, target=target),
        "grant_form": grant_form,
        "can_manage": request.user.pk != target.pk,
    }
    return render(request, "accounts/user_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def organization_list(request: AuthedRequest) -> HttpResponse:
    form = OrganizationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.organization_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_error(form, exc)
        else:
            messages.success(request, _("The organisation has been registered."))
            return redirect("accounts:organizations")
    query = request.GET.get("q", "").strip()[:100]
    page = paginate(request, selectors.organization_list(user=request.user, query=query))
    return render(request, "accounts/organization_list.html", {"page": page, "form": form, "query": query})


@login_required
def audit_list(request: AuthedRequest) -> HttpResponse:
    filters = {
        "action": request.GET.get("action", "").strip()[:64],
        "region": request.GET.get("region", "").strip()[:13],
        "actor": request.GET.get("actor", "").strip()[:100],
    }
    page = paginate(request, selectors.audit_list(user=request.user, **filters))
    return render(request, "accounts/audit_list.html", {"page": page, "filters": filters})
