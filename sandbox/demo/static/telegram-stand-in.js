// The demo's stand-in for Telegram's telegram-web-app.js: the signed initData of the person whose chat opened the
// form (filled in by the demo's server), Telegram's theme variables, and close() telling the demo's page.
"use strict";
(function () {
  const theme = { bg_color: "#ffffff", text_color: "#1c1c1e", hint_color: "#707579", button_color: "#3390ec",
                  button_text_color: "#ffffff", secondary_bg_color: "#f4f4f5" };
  for (const [name, value] of Object.entries(theme)) {
    document.documentElement.style.setProperty("--tg-theme-" + name.replace(/_/g, "-"), value);
  }
  window.Telegram = { WebApp: {
    initData: __INIT_DATA__,
    themeParams: theme,
    ready() {},
    expand() {},
    close() { window.parent.postMessage({ entbotForm: "closed" }, window.location.origin); },
  } };
})();
