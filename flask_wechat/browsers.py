"""Which kind of browser a request comes from, as far as signing in with WeChat cares.

WeChat documents two ways in for a web page: its website QR code, scanned with WeChat on
a phone from another screen (a computer's, a tablet's), and its official-account sign-in,
inside WeChat's own browser. A phone's own browser is on neither path: the QR code would
be on the very screen the phone's camera must look at. :func:`on_phone` tells the
sign-in page to offer what works there instead.
"""

from __future__ import annotations

import re

#: "Mobi" is in the User-Agent of phone browsers on iOS and Android (Safari, Chrome,
#: Firefox, Samsung, Huawei, UC, QQ's and other apps' own), and of no desktop browser.
_PHONE = re.compile(r"Mobi|iPhone|iPod|Windows Phone", re.IGNORECASE)
#: Tablets say "Mobile" too (iPad Safari, Firefox's "Tablet", Kindle's Silk); their
#: screen can be scanned by the phone beside them, so the QR code works there.
_TABLET = re.compile(r"iPad|Tablet|PlayBook|Silk|Kindle", re.IGNORECASE)


def in_wechat_browser(user_agent: str) -> bool:
    """WeChat's own browser says ``MicroMessenger`` in its User-Agent."""
    return "micromessenger" in user_agent.lower()


def on_phone(user_agent: str) -> bool:
    """A phone's own browser: not a tablet's, and not WeChat's."""
    return (
        bool(_PHONE.search(user_agent))
        and not _TABLET.search(user_agent)
        and not in_wechat_browser(user_agent)
    )
