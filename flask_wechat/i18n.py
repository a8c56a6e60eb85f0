"""The person's language, and pages rendered in it, the way Flask renders.

Strings in templates and code go through gettext with standard ``.po``/``.mo``
catalogs in the ``flask_wechat`` domain (``translations/<locale>/LC_MESSAGES/
flask_wechat.mo``), loaded with the standard library's gettext whether or not
the app uses Flask-Babel. Pages render through :func:`flask.render_template`:
the app's context processors, filters, globals and template overrides apply,
and ``before_render_template`` / ``template_rendered`` are sent as for the
app's own pages. The gettext callables (``_``, ``gettext``, ``ngettext``) go
into the context of these renders only.

**Which language** (:func:`select_locale`):

* When the app uses Flask-Babel, its locale selector decides; the language
  switch on these pages remembers the person's choice, which the selector can
  read with :func:`chosen_language` (see the docs' recipe).
* Otherwise: ``?lang=`` (remembered in the session), the remembered choice,
  ``Accept-Language``, English.

**Strings an app adds in its overrides** are looked up in this package's
catalog first, then in the app's own ``messages`` catalog (``translations/``
beside the app, or ``BABEL_TRANSLATION_DIRECTORIES``), where Flask-Babel keeps
it too.
"""

from __future__ import annotations

import gettext as _gettext
from functools import cache, lru_cache
from pathlib import Path
from typing import Any, Callable

from flask import current_app, render_template, request, session, url_for
from flask.sessions import NullSession
from flask_login import AnonymousUserMixin
from markupsafe import Markup

TRANSLATIONS_DIR = Path(__file__).parent / "translations"
#: The gettext domain of this package's catalogs (an app's own is ``messages``).
DOMAIN = "flask_wechat"
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

#: Where an app's own catalog may be named for each of ours (most specific first).
_APP_CATALOG_NAMES = {
    "en": ("en",),
    "zh_Hans": ("zh_Hans", "zh_Hans_CN", "zh_CN", "zh"),
    "zh_Hant": ("zh_Hant", "zh_Hant_TW", "zh_TW", "zh_HK", "zh"),
}


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


def chosen_language() -> str | None:
    """The language the person picked on the sign-in page's switch, or ``None``.

    A catalog name (``en``, ``zh_Hans``, ``zh_Hant``) that Babel parses as a
    locale. With Flask-Babel, read it first in your locale selector so the
    switch on these pages changes the whole site::

        def select_locale():
            for tag in [chosen_language(), *request.accept_languages.values()]:
                if normalize(tag):  # zh-CN -> zh_Hans, zh-TW -> zh_Hant
                    return normalize(tag)
            return "en"

        Babel(app, locale_selector=select_locale)
    """
    # A ?lang= on this request counts at once (the selector may run before the view).
    chosen = normalize(request.args.get("lang")) if request else None
    return chosen or _remembered()


def _remembered() -> str | None:
    stored = session.get(SESSION_KEY)
    return stored if isinstance(stored, str) and stored in LANGUAGES else None


def select_locale() -> str:
    """The language of this request's pages, chosen once per request.

    With Flask-Babel, the app's locale selector decides (mapped to a catalog:
    ``zh_CN``, ``zh_Hans_CN`` -> ``zh_Hans``; ``zh_TW``, ``zh_HK`` -> ``zh_Hant``).
    Without it: ``?lang=``, the remembered choice, ``Accept-Language``,
    English. A ``?lang=`` is remembered in the session either way. Kept in
    the request's environ, not on ``g``: an app context (and its ``g``) can
    outlive one request, as under pytest-flask.
    """
    environ = request.environ
    known = environ.get(_ENVIRON_KEY)
    if known is not None:
        return known  # type: ignore[no-any-return]
    args = request.args
    # ``in`` first: Werkzeug's ``args.get`` builds an exception for a missing key,
    # and most requests carry no ?lang=.
    asked = normalize(args["lang"]) if "lang" in args else None
    if asked and session.get(SESSION_KEY) != asked and not isinstance(session, NullSession):
        session[SESSION_KEY] = asked  # remembered, where the app has a session to keep it in
    if "babel" in current_app.extensions:
        import flask_babel  # only when the app already uses it

        if asked:
            flask_babel.refresh()  # the selector may have run before the choice was stored
        chosen = normalize(str(flask_babel.get_locale() or ""))
    else:
        chosen = asked or _remembered()  # chosen_language(), without reading ?lang= again
        if not chosen:
            for tag, _quality in request.accept_languages:
                chosen = normalize(tag)
                if chosen:
                    break
    chosen = chosen or DEFAULT_LOCALE
    environ[_ENVIRON_KEY] = chosen
    return chosen


@cache
def translations(locale: str) -> _gettext.NullTranslations:
    """This package's compiled catalog for ``locale`` (English is the source language)."""
    if locale == "en":
        return _gettext.NullTranslations()
    return _gettext.translation(DOMAIN, TRANSLATIONS_DIR, languages=[locale])


@lru_cache(maxsize=64)
def _app_catalog(directories: tuple[str, ...], domain: str, locale: str) -> Any:
    names = list(_APP_CATALOG_NAMES.get(locale, (locale,)))
    for directory in directories:
        found = _gettext.translation(domain, directory, languages=names, fallback=True)
        if type(found) is not _gettext.NullTranslations:
            return found
    return None


def _app_directories() -> tuple[str, ...]:
    configured = current_app.config.get("BABEL_TRANSLATION_DIRECTORIES") or "translations"
    return _directories(current_app.root_path, str(configured))


@lru_cache(maxsize=64)
def _directories(root: str, configured: str) -> tuple[str, ...]:
    return tuple(str(Path(root, directory)) for directory in configured.split(";") if directory)


def _callables(ours: _gettext.NullTranslations, app: Any) -> dict[str, Callable[..., Markup]]:
    """Our catalog, then the app's: gettext callables in Jinja's "newstyle".

    Newstyle callables escape and format themselves (``_("Hi %(name)s",
    name=x)``), so variables are autoescaped in the HTML templates. They are
    plain functions, not bound methods: Jinja calls either through
    ``Context.call``, which inspects a bound method at greater cost.
    """
    #: Looked-up messages; the catalogs do not change while the process runs.
    found: dict[str, Markup] = {}

    def gettext(message: str, **variables: Any) -> Markup:
        markup = found.get(message)
        if markup is None:
            text = ours.gettext(message)
            if text == message and app is not None:
                text = app.gettext(message)
            markup = found[message] = Markup(text)  # noqa: S704 - a catalog's own text
        return markup % variables if variables else markup

    def ngettext(singular: str, plural: str, n: int, **variables: Any) -> Markup:
        text = ours.ngettext(singular, plural, n)
        if text in (singular, plural) and app is not None:
            text = app.ngettext(singular, plural, n)
        variables.setdefault("num", n)
        return _format(text, variables)

    return {"_": gettext, "gettext": gettext, "ngettext": ngettext}


def _format(text: str, variables: dict[str, Any]) -> Markup:
    # Catalog strings are trusted like the template's own markup; variables are escaped.
    markup = Markup(text)  # noqa: S704
    return markup % variables if variables else markup


@lru_cache(maxsize=64)
def _catalogs(
    locale: str, directories: tuple[str, ...], domain: str
) -> dict[str, Callable[..., Markup]]:
    """The callables for ``locale``, made once (read, never changed: copied for a render)."""
    return _callables(translations(locale), _app_catalog(directories, domain, locale))


def gettext_context(locale: str) -> dict[str, Callable[..., Markup]]:
    """``_``, ``gettext`` and ``ngettext`` for ``locale``, for the context of one render."""
    domain = str(current_app.config.get("BABEL_DOMAIN") or "messages")
    return dict(_catalogs(locale, _app_directories(), domain))


class LanguageLink(dict):  # type: ignore[type-arg]
    """One entry of the language switch: ``tag`` (BCP 47), ``name`` (in its own
    language), ``current`` and ``url``. A dict, as in 0.1 (``link["url"]``,
    ``link.get("url")``, ``|tojson``), whose keys are also attributes
    (``link.url``), which Jinja reads fastest.
    """

    def __init__(self, tag: str, name: str, current: bool, url: str) -> None:
        super().__init__(tag=tag, name=name, current=current, url=url)
        self.tag, self.name, self.current, self.url = tag, name, current, url


def language_links(next_url: str | None) -> list[LanguageLink]:
    """The language switch: the sign-in page in each language, keeping ``next``.

    One ``url_for`` for the page; each language adds its ``lang`` to it (the
    same URL ``url_for(..., next=next_url, lang=tag)`` builds).
    """
    current = select_locale()
    page = url_for("wechat.login", next=next_url)
    joiner = "&" if "?" in page else "?"
    return [
        LanguageLink(tag, name, locale == current, f"{page}{joiner}lang={tag}")
        for locale, (tag, name) in LANGUAGES.items()
    ]


def render(
    template_name: str, next_url: str | None = None, *, app_is_ready: bool = True, **context: Any
) -> str:
    """Render one of the blueprint's templates in the person's language, through Flask.

    ``flask.render_template`` does the work, so the app's context processors,
    filters, overrides and signals apply exactly as for its own pages; this
    adds the language, the gettext callables and the language switch to the
    context of this render only. With ``app_is_ready=False`` (the app lacks
    its ``LoginManager``, its user loader or its secret key, whose context
    processors would fail) the page renders from the app's Jinja environment
    without them.
    """
    locale = select_locale()
    context.update(gettext_context(locale))
    context.update(
        wechat_locale=locale,
        html_lang=LANGUAGES[locale][0],
        language_links=language_links(next_url),
        next_url=next_url,
    )
    if not app_is_ready:
        return _render_without_the_app(template_name, context)
    context["wechat_mark"] = mark_macro()
    return render_template(template_name, **context)


#: The template that draws WeChat's mark: the macro ``wechat_mark(size=24, title=None)``.
#: An app's own ``templates/wechat/mark.html`` replaces it.
MARK_TEMPLATE = "wechat/mark.html"


def mark_macro() -> Any:
    """The ``wechat_mark`` macro of :data:`MARK_TEMPLATE` (the app's, if it overrides it).

    Every page is given it as ``wechat_mark``. It is the macro that
    ``{% from "wechat/mark.html" import wechat_mark %}`` gives a template (which
    still works in an override): the module Jinja keeps for the template, built
    with the app's globals only. Looked up here because the import costs more
    at every render than the rest of the page's bookkeeping: before reusing
    that module, Jinja compares every template global of the app with the
    imported template's.
    """
    template = current_app.jinja_env.get_template(MARK_TEMPLATE)
    if current_app.jinja_env.is_async:  # Jinja keeps no module in async mode: build one
        import asyncio

        module = asyncio.run(template.make_module_async())
    else:
        module = template.module
    macro = getattr(module, "wechat_mark", None)
    if macro is None:  # an override without the macro: fails where the page calls it
        return current_app.jinja_env.undefined(
            f"the template {MARK_TEMPLATE!r} does not define the macro 'wechat_mark'",
            name="wechat_mark",
        )
    return macro


def _render_without_the_app(template_name: str, context: dict[str, Any]) -> str:
    # The app lacks its LoginManager, user loader or secret key. Its context
    # processors run one by one, those that fail left out (Flask-Login's, for
    # one), and overrides reading current_user see an anonymous visitor. If the
    # app's templates still cannot render, a plain page says the same.
    merged: dict[str, Any] = {"current_user": AnonymousUserMixin()}
    for processor in _context_processors():
        try:
            merged.update(processor())
        except Exception:  # noqa: S112 - that processor needs what the app lacks
            continue
    merged.update(context)
    try:
        merged["wechat_mark"] = mark_macro()
        return current_app.jinja_env.get_or_select_template(template_name).render(merged)
    except Exception:
        return _plain_page(context)


def _context_processors() -> list[Callable[[], Any]]:  # Flask types some as async
    processors = current_app.template_context_processors
    names: list[str | None] = [None, *reversed(request.blueprints)]
    return [func for name in names for func in processors.get(name, ())]


def _plain_page(context: dict[str, Any]) -> str:
    gettext = context["_"]
    title, reason = gettext(context.get("title", "")), gettext(context.get("reason", ""))
    reference = context.get("reference")
    note = gettext("Reference: %(reference)s", reference=reference) if reference else ""
    return str(
        Markup(
            '<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            "<title>{title}</title></head><body><main><h1>{title}</h1><p>{reason}</p>"
            "<p>{note}</p></main></body></html>"
        ).format(lang=context.get("html_lang", "en"), title=title, reason=reason, note=note)
    )
