"""The secure form's response headers and its one outside script: light, for the demo's proxy to share without the bot."""

from __future__ import annotations

TELEGRAM_JS = "https://telegram.org/js/telegram-web-app.js"
# Telegram's web clients may show the page in a frame; the phone apps open it in a web view (no frame at all).
FRAME_ANCESTORS = "https://web.telegram.org https://webk.telegram.org https://webz.telegram.org"
CSP = ("default-src 'none'; script-src 'self' https://telegram.org; style-src 'self'; img-src 'self' data:; "
       f"connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors {FRAME_ANCESTORS}")
HEADERS = {"Content-Security-Policy": CSP, "Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Content-Type-Options": "nosniff", "Cross-Origin-Opener-Policy": "same-origin",
           "Permissions-Policy": "camera=(), microphone=(), geolocation=()"}
