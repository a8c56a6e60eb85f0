"""The person's language, and pages rendered in it.

Strings in templates and code go through gettext with the standard
``.po``/``.mo`` catalogs in ``translations/`` (Babel's tools extract and
compile them; see the README). The blueprint renders with its own overlay of
the app's Jinja environment, so its gettext never replaces the app's own
(for instance Flask-Babel's), and templates still resolve through the app's
loader: a file in the app's ``templates/wechat/`` wins over the bundled one.
"""

from __future__ import annotations

import gettext as _gettext
from collections.abc import Hashable
from functools import cache
from pathlib import Path
from typing import Any, Callable

from flask import current_app, request, session, url_for
from flask.signals import before_render_template, template_rendered
from jinja2 import Environment
from markupsafe import Markup

from .icons import wechat_mark
from .pagecache import PageCache

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
SESSION_KEY = "_wechat_lang"
_ENVIRON_KEY = "flask_wechat.locale"
DEFAULT_LOCALE = "en"

#: Catalog name -> (BCP 47 tag for ``<html lang>``, the language's own name).
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("en", "English"),
    "zh_Hans": ("zh-Hans", "简体中文"),
    "zh_Hant": ("zh-Hant", "繁體中文"),
}

#: Regions whose Chinese is written in Traditional characters (Taiwan, Hong Kong, Macao).
TRADITIONAL_REGIONS = frozenset({"tw", "hk", "mo"})


def normalize(tag: str | None) -> str | None:
    """Map a language tag (``zh-CN``, ``zh_Hans``, ``zh-TW``, ``en-GB``, ``zh``) to a catalog name.

    Chinese goes by its script when the tag names one (``zh-Hant-*``, ``zh-Hans-*``),
    else by region: Taiwan, Hong Kong and Macao read Traditional, the rest Simplified.
    Another language finds its catalog in :data:`LANGUAGES` by name (``pt_BR``) or by
    language alone (``ja-JP`` -> ``ja``, ``pt`` -> ``pt_BR``); ``None`` when none suits.
    """
    if not tag:
        return None
    tag = tag.strip().lower().replace("_", "-")
    if tag == "en" or tag.startswith("en-"):
        return "en"
    if tag == "zh" or tag.startswith("zh-"):
        subtags = tag.split("-")[1:]
        if "hant" in subtags:
            return "zh_Hant"
        if "hans" not in subtags and TRADITIONAL_REGIONS.intersection(subtags):
            return "zh_Hant"
        return "zh_Hans"
    names = {locale.lower().replace("_", "-"): locale for locale in LANGUAGES}
    primary = tag.split("-")[0]
    candidates = [names.get(tag), names.get(primary)]  # pt_BR; ja-JP -> ja
    candidates += [locale for name, locale in names.items() if name.split("-")[0] == primary]
    return next((locale for locale in candidates if locale), None)  # pt -> pt_BR


def select_locale() -> str:
    """The language for this request, chosen once per request.

    In order: ``?lang=`` (remembered in the session), the remembered choice,
    Flask-Babel's locale when the app uses it, ``Accept-Language``, English.
    Kept in the request's environ, not on ``g``: an app context (and its
    ``g``) can outlive one request, as under pytest-flask.
    """
    known = request.environ.get(_ENVIRON_KEY)
    if known is not None:
        return known
    chosen = normalize(request.args.get("lang"))
    if chosen:
        session[SESSION_KEY] = chosen
    else:
        chosen = session.get(SESSION_KEY) if session.get(SESSION_KEY) in LANGUAGES else None
    if not chosen and "babel" in current_app.extensions:
        from flask_babel import get_locale  # only when the app already uses it

        chosen = normalize(str(get_locale() or ""))
    if not chosen:
        for tag, _quality in request.accept_languages:
            chosen = normalize(tag)
            if chosen:
                break
    chosen = chosen or DEFAULT_LOCALE
    request.environ[_ENVIRON_KEY] = chosen
    return chosen


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """The compiled catalog for ``locale`` (English is the source language)."""
    if locale == "en":
        return _gettext.NullTranslations()
    return _gettext.translation("messages", TRANSLATIONS_DIR, languages=[locale])


def _newstyle(translate: Callable[..., str]) -> Callable[..., Markup]:
    # Jinja's "newstyle" gettext: the callable escapes and formats itself, so
    # {% trans %} and _() behave alike and variables are autoescaped. The
    # blueprint's templates are HTML, always autoescaped.
    def call(*args: Any, **variables: Any) -> Markup:
        # Catalog strings are ours, like the template's own markup.
        text = Markup(translate(*args))  # noqa: S704
        return text % variables if variables else text

    return call


def _environment(app: Any) -> Environment:
    holder = app.extensions["wechat"]  # one key per app, set at init_app
    env = getattr(holder, "jinja_env", None)
    if env is None:
        env = app.jinja_env.overlay(extensions=["jinja2.ext.i18n"])
        env.newstyle_gettext = True  # on the overlay only
        holder.jinja_env = env
    return env


def language_links(next_url: str | None) -> list[dict[str, Any]]:
    """The language switch: the sign-in page in each language, keeping ``next``."""
    current = select_locale()
    return [
        {
            "tag": tag,
            "name": name,
            "current": locale == current,
            "url": url_for("wechat.login", next=next_url, lang=tag),
        }
        for locale, (tag, name) in LANGUAGES.items()
    ]


def render(
    template_name: str,
    next_url: str | None = None,
    *,
    reusable: Hashable | None = None,
    **context: Any,
) -> str:
    """Render one of the blueprint's templates in the person's language.

    With ``reusable`` (a key for whatever else the caller's context depends
    on), the page may be served from :class:`~flask_wechat.pagecache.PageCache`.
    """
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    locale = select_locale()
    env = _environment(app)
    key = None
    if reusable is not None and not env.auto_reload:
        key = (template_name, locale, next_url, request.host_url, request.script_root, reusable)
        html = _page_cache(app, env).get(key)
        if html is not None:
            return html
    catalog = translations(locale)
    context.update(
        gettext=_newstyle(catalog.gettext),
        _=_newstyle(catalog.gettext),
        ngettext=_newstyle(catalog.ngettext),
        wechat_locale=locale,
        html_lang=LANGUAGES[locale][0],
        language_links=language_links(next_url),
        wechat_mark=wechat_mark,
        next_url=next_url,
    )
    own_names = list(context)
    app.update_template_context(context)
    template = env.get_or_select_template(template_name)
    before_render_template.send(app, template=template, context=context)
    html = template.render(context)
    template_rendered.send(app, template=template, context=context)
    if key is not None:
        _page_cache(app, env).put(key, html, template.name or template_name, own_names)
    return html


def _page_cache(app: Any, env: Environment) -> PageCache:
    holder = app.extensions["wechat"]
    cache = getattr(holder, "page_cache", None)
    if cache is None or cache.env is not env:
        cache = holder.page_cache = PageCache(env)
    return cache
