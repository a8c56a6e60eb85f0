"""WeChat's mark as inline SVG, so the pages need no CDN and no extra request."""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

# Two speech bubbles with eyes; the eyes take the colour behind the mark
# (--wechat-mark-eyes in wechat.css) so the mark reads on any background.
_DRAWING = (
    '<path fill="currentColor" d="M18.5 7C9.9 7 3 12.8 3 20c0 4.1 2.3 7.8 5.9 10.2L7.4 35'
    "l5.5-2.9c1.7.5 3.6.8 5.6.8l1.1-.1A11.8 11.8 0 0 1 19 30c0-7 6.8-12.6 15.2-12.6h.9"
    'C33.7 11.5 26.8 7 18.5 7Z"/>'
    '<path fill="currentColor" d="M34.2 20C27 20 21.4 24.6 21.4 30.3S27 40.6 34.2 40.6'
    'c1.5 0 3-.2 4.4-.6l4.4 2.4-1.2-4C44.8 36.5 47 33.6 47 30.3 47 24.6 41.3 20 34.2 20Z"/>'
    '<circle class="wechat-mark-eye" cx="13.2" cy="16.6" r="2.1"/>'
    '<circle class="wechat-mark-eye" cx="23.8" cy="16.6" r="2.1"/>'
    '<circle class="wechat-mark-eye" cx="29.8" cy="27.6" r="1.7"/>'
    '<circle class="wechat-mark-eye" cx="38.6" cy="27.6" r="1.7"/>'
)


@lru_cache(maxsize=64)
def wechat_mark(size: int = 24, title: str | None = None) -> Markup:
    """The mark at ``size`` pixels; decorative (hidden from screen readers) unless titled."""
    label = (
        f' role="img" aria-label="{escape(title)}"'
        if title
        else ' aria-hidden="true" focusable="false"'
    )
    return Markup(  # noqa: S704 - our own markup; the title is escaped above
        f'<svg class="wechat-mark" width="{int(size)}" height="{int(size)}" '
        f'viewBox="0 0 48 48"{label}>{_DRAWING}</svg>'
    )
