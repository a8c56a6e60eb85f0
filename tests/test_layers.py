"""The layers point one way: protocol <- web <- integration, and the emulator beside them."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

#: The package as imported: the checkout, or the installed wheel in CI's wheel run.
PACKAGE = Path(importlib.util.find_spec("flask_wechat").origin).parent  # type: ignore[arg-type]

PROTOCOL = ("errors", "compliance", "client", "api", "profile", "redact")
WEB = (
    *("views", "signin", "state", "pages", "csrf", "i18n", "signals", "icons", "browsers"),
    *("replay", "quota", "limits", "revocation"),
)
INTEGRATION = ("extension", "config", "storage", "sqla", "encryption", "redis", "cli")
#: The neighbour: the emulator package, and the pytest plugin that serves it.
NEIGHBOUR = ("emulator", "testing")


@pytest.mark.parametrize("module", PROTOCOL)
def test_each_protocol_module_imports_alone_without_flask(module):
    probe = (
        f"import sys, flask_wechat.{module}; "
        "loaded = [m for m in ('flask', 'flask_login', 'jinja2', 'click', 'werkzeug') "
        "if m in sys.modules]; print(','.join(loaded))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "", f"flask_wechat.{module} loaded {done.stdout.strip()}"


def test_the_package_names_load_lazily():
    probe = (
        "import sys; from flask_wechat import wechat_compliance_fix, WeChatError, WeChatProfile; "
        "print('flask' in sys.modules)"
    )
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "False"


def _imports(path: Path) -> set[str]:
    """flask_wechat modules imported at run time (not under ``if TYPE_CHECKING``)."""
    found: set[str] = set()
    here = path.relative_to(PACKAGE.parent).with_suffix("").parts
    package = here[:-1] if path.name != "__init__.py" else here[:-1]

    def visit(nodes: list[ast.stmt]) -> None:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                continue
            for child in ast.walk(node):
                if isinstance(child, ast.ImportFrom):
                    if child.level:
                        base = list(package[: len(package) - child.level + 1])
                        target = ".".join(base + ([child.module] if child.module else []))
                        names = [target] + [f"{target}.{a.name}" for a in child.names]
                    else:
                        names = [child.module or ""]
                    found.update(n for n in names if n.startswith("flask_wechat"))
                elif isinstance(child, ast.Import):
                    found.update(a.name for a in child.names if a.name.startswith("flask_wechat"))

    visit(ast.parse(path.read_text(encoding="utf-8")).body)
    return found


def _layer_of(name: str) -> str | None:
    parts = name.split(".")
    if len(parts) < 2:
        return None
    for layer, modules in (
        ("protocol", PROTOCOL),
        ("web", WEB),
        ("integration", INTEGRATION),
        ("neighbour", NEIGHBOUR),
    ):
        if parts[1] in modules:
            return layer
    return None


ALLOWED = {
    "protocol": {"protocol"},
    "web": {"protocol", "web"},
    "integration": {"protocol", "web", "integration"},
}


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_imports_point_down_only(layer):
    modules = {"protocol": PROTOCOL, "web": WEB, "integration": INTEGRATION}[layer]
    for module in modules:
        for imported in _imports(PACKAGE / f"{module}.py"):
            target = _layer_of(imported)
            assert target is None or target in ALLOWED[layer], (module, imported)


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")} - {"__init__"}
    assert modules == set(PROTOCOL + WEB + INTEGRATION + NEIGHBOUR) - {"emulator"}


def test_production_code_never_imports_the_emulator():
    for path in PACKAGE.rglob("*.py"):
        relative = path.relative_to(PACKAGE)
        if relative.parts[0] == "emulator" or relative.name == "testing.py":
            continue  # the neighbour itself
        for imported in _imports(path):
            assert not imported.startswith("flask_wechat.emulator"), (str(relative), imported)


def test_one_app_extensions_entry_set_at_init_app():
    from flask import Flask
    from flask_login import LoginManager

    from flask_wechat import WeChat

    app = Flask(__name__)
    app.config.update(
        SECRET_KEY="k", WECHAT_APP_ID="wx1234567890abcdef", WECHAT_APP_SECRET="s" * 32
    )
    LoginManager(app).user_loader(lambda user_id: None)
    before = set(app.extensions)
    WeChat(app)
    assert set(app.extensions) - before == {"wechat"}
    assert app.test_client().get("/wechat/login").status_code == 200
    assert set(app.extensions) - before == {"wechat"}  # requests add nothing


#: Every public name of 0.1.0, by the module it was imported from.
PUBLIC_0_1 = {
    "flask_wechat": ["wechat_compliance_fix", "WeChatError", "WeChat", "WeChatProfile"],
    "flask_wechat.api": ["REFRESH_MARGIN", "WeChatSession"],
    "flask_wechat.cli": [
        "wechat_cli",
        "APP_ID_RE",
        "APP_SECRET_RE",
        "MIN_SECRET_KEY_LENGTH",
        "Report",
        "check_app",
        "check",
    ],
    "flask_wechat.client": [
        "OPEN_BASE_URL",
        "API_BASE_URL",
        "WEBSITE_SCOPE",
        "IN_WECHAT_SCOPES",
        "Token",
        "READ_RETRIES",
        "RETRY_PAUSE",
        "WeChatClient",
        "transport_errors",
    ],
    "flask_wechat.compliance": ["read_json", "wechat_compliance_fix"],
    "flask_wechat.config": ["CONFIG_KEYS", "Settings", "load_settings"],
    "flask_wechat.emulator": [
        "create_app",
        "EmulatorServer",
        "ACCESS_TOKEN_LIFETIME",
        "CODE_LIFETIME",
        "DEFAULT_CALLBACK_DOMAINS",
        "ERRMSG",
        "MP_APP_ID",
        "MP_APP_SECRET",
        "OFFICIAL_ACCOUNT",
        "OPEN_ACCOUNT",
        "REFRESH_TOKEN_LIFETIME",
        "USER_HANMEIMEI",
        "USER_LILEI",
        "USER_NO_AVATAR",
        "USER_SNAPSHOT",
        "WEBSITE",
        "WEBSITE_APP_ID",
        "WEBSITE_APP_SECRET",
        "App",
        "Fault",
        "User",
        "WeChatError",
        "World",
        "make_openid",
        "make_unionid",
    ],
    "flask_wechat.errors": [
        "N_",
        "WeChatError",
        "SignInError",
        "StateError",
        "AccessDenied",
        "CodeError",
        "InvalidCode",
        "CodeUsed",
        "CodeExpired",
        "SignInRefused",
        "FormExpired",
        "UnsupportedBrowser",
        "SnapshotUser",
        "ConfigurationError",
        "InvalidCredentials",
        "InvalidAppID",
        "InvalidSecret",
        "InvalidRequest",
        "MissingProfileHandler",
        "IPNotWhitelisted",
        "RedirectURIMismatch",
        "ScopeNotAuthorized",
        "InsecureSettings",
        "UnavailableError",
        "SystemBusy",
        "RateLimited",
        "BadResponse",
        "TokenError",
        "InvalidAccessToken",
        "AccessTokenExpired",
        "RefreshTokenExpired",
        "ERRCODES",
        "error_for",
    ],
    "flask_wechat.extension": [
        "ProfileHandler",
        "WEBSITE",
        "OFFICIAL_ACCOUNT",
        "in_wechat_browser",
        "WeChat",
    ],
    "flask_wechat.i18n": [
        "TRANSLATIONS_DIR",
        "SESSION_KEY",
        "DEFAULT_LOCALE",
        "LANGUAGES",
        "TRADITIONAL_REGIONS",
        "normalize",
        "select_locale",
        "translations",
        "language_links",
        "render",
    ],
    "flask_wechat.icons": ["wechat_mark"],
    "flask_wechat.profile": ["WeChatProfile"],
    "flask_wechat.redact": [
        "NOISY_LOGGERS",
        "REDACTED",
        "redact",
        "RedactingFilter",
        "install_log_redaction",
    ],
    "flask_wechat.signals": ["signed_in", "sign_in_failed", "signed_out"],
    "flask_wechat.sqla": ["SQLAlchemyStorage"],
    "flask_wechat.state": [
        "SESSION_KEY",
        "MAX_PENDING",
        "MAX_NEXT",
        "Pending",
        "mint",
        "take",
        "safe_next",
    ],
    "flask_wechat.storage": ["TokenStorage", "SessionStorage"],
    "flask_wechat.testing": ["FormReader", "EmulatorHandle", "wechat_emulator"],
    "flask_wechat.views": [
        "blueprint",
        "CSRF_KEY",
        "SECURITY_HEADERS",
        "csrf_token",
        "login",
        "authorize",
        "callback",
        "logout",
        "error_page",
        "security_headers",
    ],
}


@pytest.mark.parametrize("module", sorted(PUBLIC_0_1))
def test_every_public_name_of_0_1_still_imports_from_where_it_did(module, recwarn):
    if module == "flask_wechat.sqla":
        pytest.importorskip("sqlalchemy")
    imported = importlib.import_module(module)
    missing = [name for name in PUBLIC_0_1[module] if not hasattr(imported, name)]
    assert missing == []


def test_the_emulators_error_has_its_own_name_and_the_old_one_warns():
    import flask_wechat.emulator as emulator
    from flask_wechat import WeChatError

    with pytest.warns(DeprecationWarning, match="EmulatorError"):
        old = emulator.WeChatError
    assert old is emulator.EmulatorError and old is not WeChatError


def test_0_1s_sign_in_steps_on_the_wechat_object_still_work_with_a_warning(
    make_app, wechat_emulator
):
    from flask_wechat.testing import sign_out

    from .helpers import sign_in

    app = make_app()
    wechat = app.extensions["wechat"].extension

    @app.get("/old-sign-out")
    def old_sign_out() -> str:
        wechat.sign_out()
        return "out"

    client = app.test_client()
    sign_in(client, wechat_emulator)

    with pytest.warns(DeprecationWarning, match="sign_out"):
        assert client.get("/old-sign-out").data == b"out"
    assert client.get("/").data == b"anonymous"
    assert sign_out(client).status_code == 302  # and the form still works
