"""A login's device as a person recognises it ("微信 · iPhone"), not a raw User-Agent string."""
from __future__ import annotations

import re

# Order matters: Chromium-based browsers also say "Chrome", Chrome also says "Safari".
_BROWSERS = (("MicroMessenger", "微信"), ("QQBrowser", "QQ浏览器"), ("UCBrowser", "UC浏览器"),
             ("Edg", "Edge"), ("OPR", "Opera"), ("Firefox", "Firefox"),
             ("HeadlessChrome", "Chrome（无界面）"), ("Chrome", "Chrome"), ("Safari", "Safari"))
_SYSTEMS = (("HarmonyOS", "鸿蒙"), ("Android", "Android"), ("iPhone", "iPhone"), ("iPad", "iPad"),
            ("Windows", "Windows"), ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"),
            ("Linux", "Linux"))


def device(user_agent: str | None) -> str:
    ua = user_agent or ""
    browser = next((name for token, name in _BROWSERS if re.search(rf"\b{token}/", ua)), "")
    system = next((name for token, name in _SYSTEMS if token in ua), "")
    return " · ".join(x for x in (browser, system) if x) or (ua[:40] or "未知设备")
