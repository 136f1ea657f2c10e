// The demo page's pure pieces: a message's text with its Telegram entities, built as DOM nodes (never innerHTML).
"use strict";

(function () {
  // Offsets and lengths are in UTF-16 code units, as Telegram counts them and as JavaScript strings index.
  const TAGS = {
    bold: "b", italic: "i", underline: "u", strikethrough: "s", code: "code", pre: "pre",
    spoiler: "span", blockquote: "blockquote", expandable_blockquote: "blockquote",
  };

  // A link may open the web or a mail client: never javascript:, data: or a relative path.
  function safeUrl(url) {
    if (typeof url !== "string") return null;
    let parsed;
    try {
      parsed = new URL(url);
    } catch (e) {
      return null;
    }
    return ["http:", "https:", "mailto:"].includes(parsed.protocol) ? parsed.href : null;
  }

  function elementFor(entity, text) {
    if (entity.type === "text_link" || entity.type === "url") {
      const href = safeUrl(entity.type === "url" ? text.substr(entity.offset, entity.length) : entity.url);
      if (href === null) return document.createElement("span");
      const a = document.createElement("a");
      a.href = href;
      a.target = "_blank";
      a.rel = "noopener noreferrer";
      return a;
    }
    const tag = TAGS[entity.type];
    const el = document.createElement(tag || "span");
    if (entity.type === "spoiler") {
      el.className = "spoiler";
      el.title = "Toucher pour afficher";
      el.addEventListener("click", () => el.classList.add("shown"));
    }
    if (entity.type === "bot_command") el.className = "command";
    return el;
  }

  // A /command in a message is a link that sends it, as in Telegram; `onCommand` null: plain text.
  const COMMAND = /(^|[\s(«])(\/[a-z][a-z0-9_]{0,31})(?![\w/])/g;
  function appendText(node, chunk, onCommand) {
    let last = 0;
    if (onCommand) {
      for (const match of chunk.matchAll(COMMAND)) {
        const start = match.index + match[1].length;
        node.appendChild(document.createTextNode(chunk.slice(last, start)));
        const link = document.createElement("button");
        link.type = "button";
        link.className = "command";
        link.textContent = match[2];
        link.addEventListener("click", () => onCommand(match[2]));
        node.appendChild(link);
        last = start + match[2].length;
      }
    }
    node.appendChild(document.createTextNode(chunk.slice(last)));
  }

  // Entities properly nested (as Telegram-HTML makes them) become nested elements; overlapping ones are cut.
  function renderText(text, entities, onCommand) {
    const root = document.createDocumentFragment();
    const sorted = (Array.isArray(entities) ? entities : [])
      .filter((e) => e && Number.isInteger(e.offset) && Number.isInteger(e.length) && e.length > 0 &&
        e.offset >= 0 && e.offset < text.length)
      .slice()
      .sort((a, b) => a.offset - b.offset || b.length - a.length);
    const stack = [{ end: text.length, node: root, plain: true }];
    let pos = 0;
    const flushTo = (end) => {
      if (end > pos) {
        const top = stack[stack.length - 1];
        appendText(top.node, text.slice(pos, end), top.plain ? onCommand : null);
        pos = end;
      }
    };
    for (const entity of sorted) {
      while (stack.length > 1 && entity.offset >= stack[stack.length - 1].end) {
        flushTo(stack[stack.length - 1].end);
        stack.pop();
      }
      flushTo(entity.offset);
      const top = stack[stack.length - 1];
      const el = elementFor(entity, text);
      top.node.appendChild(el);
      const plain = top.plain && !["A", "CODE", "PRE"].includes(el.tagName) && entity.type !== "bot_command";
      stack.push({ end: Math.min(entity.offset + entity.length, top.end), node: el, plain: plain });
    }
    while (stack.length > 0) {
      flushTo(stack[stack.length - 1].end);
      stack.pop();
    }
    return root;
  }

  function fileSize(bytes) {
    if (!Number.isFinite(bytes) || bytes < 0) return "";
    if (bytes < 1024) return bytes + " o";
    if (bytes < 1024 * 1024) return Math.round(bytes / 1024) + " Ko";
    return (bytes / (1024 * 1024)).toFixed(1).replace(".", ",") + " Mo";
  }

  // Messages in id order, with those that vanished since the last render kept in place to fade out.
  function mergeVanished(current, previousIds) {
    const present = new Set(current.map((m) => m.id));
    const gone = previousIds.filter((id) => !present.has(id));
    return { gone, order: [...current.map((m) => m.id), ...gone].sort((a, b) => a - b) };
  }

  // Retry delays of the live updates after failures: short at first, then at most 10 s, so a page left open recovers.
  function backoff(failures) {
    return Math.min(10000, 500 * Math.pow(2, Math.max(0, failures - 1)));
  }

  window.DemoRender = { renderText, safeUrl, fileSize, mergeVanished, backoff };
})();
