"""FastAPI dependencies as ``Annotated`` aliases, so handler signatures read like prose.

- ``UoW``: a unit of work on the app's engine;
- ``PageSession``: a signed-in browser (redirects to the login page otherwise);
- ``FormSession``: the same, for POSTs, after the CSRF token of the form (or ``X-CSRF-Token``) was checked;
- ``ApiActor``: the user behind ``Authorization: Bearer <personal API token>`` (401 otherwise).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.datastructures import FormData

from gutwise.accounts import service as accounts_service
from gutwise.accounts.service import Session
from gutwise.core.authz import Actor
from gutwise.core.security import same
from gutwise.core.settings import Settings
from gutwise.core.uow import UnitOfWork

SESSION_COOKIE = "gutwise_session"
PRE_SESSION_COOKIE = "gutwise_csrf"  # double-submit token for the login form, before any session exists


class LoginRequired(Exception):
    """Raised by page dependencies; the app answers with a redirect to the login page."""

    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


class CsrfFailed(Exception):
    pass


def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_uow(request: Request) -> UnitOfWork:
    return UnitOfWork(request.app.state.engine)


AppSettings = Annotated[Settings, Depends(get_settings)]
UoW = Annotated[UnitOfWork, Depends(get_uow)]


def get_optional_session(request: Request, uow: UoW) -> Session | None:
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    return accounts_service.session_for(uow=uow, token=token)


MaybeSession = Annotated[Session | None, Depends(get_optional_session)]


def require_session(request: Request, session: MaybeSession) -> Session:
    if session is None:
        raise LoginRequired(request.url.path)
    return session


PageSession = Annotated[Session, Depends(require_session)]


async def _sent_csrf(request: Request) -> str | None:
    header = request.headers.get("x-csrf-token")
    if header:
        return header
    content_type = request.headers.get("content-type", "")
    if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        value = (await request.form()).get("csrf_token")
        return value if isinstance(value, str) else None
    return None


async def check_csrf(request: Request, session: PageSession) -> Session:
    sent = await _sent_csrf(request)
    if not sent or not same(sent, session.csrf_token):
        raise CsrfFailed()
    return session


FormSession = Annotated[Session, Depends(check_csrf)]


async def check_login_csrf(request: Request) -> None:
    cookie = request.cookies.get(PRE_SESSION_COOKIE)
    sent = await _sent_csrf(request)
    if not cookie or not sent or not same(cookie, sent):
        raise CsrfFailed()


LoginCsrf = Depends(check_login_csrf)

_bearer = HTTPBearer(auto_error=False, description="A personal API token (make one on your Account page).")


def api_actor(uow: UoW, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]) -> Actor:
    if credentials is not None and credentials.scheme.lower() == "bearer":
        actor = accounts_service.actor_for_api_token(uow=uow, token=credentials.credentials)
        if actor is not None:
            return actor
    raise HTTPException(status_code=401, detail="a valid API token is required",
                        headers={"WWW-Authenticate": "Bearer"})


ApiActor = Annotated[Actor, Depends(api_actor)]


async def form_data(request: Request) -> FormData:
    """The posted form (``.get`` for one value, ``.getlist`` for ticked boxes), for forms built from knowledge."""
    return await request.form()


FormFields = Annotated[FormData, Depends(form_data)]
