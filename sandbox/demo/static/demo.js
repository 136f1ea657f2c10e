// The demo page: one chat at a time, live by long poll, buttons pressed by their place, mail and accounts beside.
"use strict";

(function () {
  const R = window.DemoRender;
  const $ = (id) => document.getElementById(id);
  const state = {
    setup: null, view: "parent1", etag: "", seen: {}, replyTo: null, failures: 0,
    poll: null, pending: new Map(), rendered: [], generation: 0,
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  let toastTimer = null;
  function toast(text) {
    const box = $("toast");
    box.textContent = text;
    box.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { box.hidden = true; }, 4000);
  }

  async function api(path, body) {
    let response;
    try {
      response = await fetch(path, {
        method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      });
    } catch (e) {
      throw new Error("La démonstration ne répond pas : est-elle encore lancée ?");
    }
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || "Erreur " + response.status);
    return data;
  }

  function currentView() {
    return state.setup.views.find((v) => v.id === state.view);
  }

  // -- people and side panels -----------------------------------------------------------------

  function renderPeople(latest) {
    const nav = $("people");
    nav.replaceChildren();
    for (const view of state.setup.views) {
      const button = el("button", "person" + (view.id === state.view ? " current" : ""), view.label);
      button.type = "button";
      button.dataset.view = view.id;
      if (view.id === state.view) button.setAttribute("aria-current", "true");
      if (latest && (latest[view.id] || 0) > (state.seen[view.id] || 0) && view.id !== state.view) {
        button.appendChild(el("span", "dot", "●"));
        button.setAttribute("aria-label", view.label + " (nouveau)");
      }
      button.addEventListener("click", () => switchTo(view.id));
      nav.appendChild(button);
    }
  }

  function renderAccounts() {
    const body = $("accounts").querySelector("tbody");
    body.replaceChildren();
    for (const account of state.setup.accounts) {
      const row = el("tr");
      row.appendChild(el("td", "mono", account.identifier));
      row.appendChild(el("td", "mono", account.provisional));
      row.appendChild(el("td", "", account.name + " (" + account["class"] + ")"));
      body.appendChild(row);
    }
    $("hints").textContent = "Nouveau mot de passe : 8 caractères au moins, avec majuscules, minuscules, chiffres " +
      "ou caractères spéciaux (par exemple Ma-Cle:Verte42). Adresse de courriel pour l'essai : " +
      state.setup.parent_email + ".";
  }

  function renderMail(boxId, mails) {
    const box = $(boxId);
    box.replaceChildren();
    if (!mails.length) {
      box.appendChild(el("p", "small", "Aucun courriel pour l'instant."));
      return;
    }
    for (const mail of mails.slice().reverse()) {
      const item = el("details", "mail");
      const summary = el("summary");
      summary.appendChild(el("strong", "", mail.subject || "(sans objet)"));
      summary.appendChild(el("span", "small", " — à " + mail.to));
      item.appendChild(summary);
      item.appendChild(el("div", "small", "De : " + mail.from + " · " + mail.date));
      item.appendChild(el("pre", "mail-body", mail.body));
      box.appendChild(item);
    }
  }

  // -- the chat ---------------------------------------------------------------------------------

  function fileBlock(message) {
    const file = message.file;
    if (!file) {
      const labels = { photo: "📷 Photo", document: "📎 Fichier", sticker: "🙂 Autocollant", voice: "🎤 Message vocal",
        contact: "👤 Contact", location: "📍 Position" };
      return message.kind !== "text" ? el("div", "attachment", labels[message.kind] || "📎 Pièce jointe") : null;
    }
    const box = el("div", "attachment");
    if (file.type === "image") {
      const img = el("img", "picture");
      img.src = file.url;
      img.alt = file.name;
      img.loading = "lazy";
      const link = el("a");
      link.href = file.url;
      link.target = "_blank";
      link.rel = "noopener";
      link.appendChild(img);
      box.appendChild(link);
    } else {
      const link = el("a", "doc", "📄 " + file.name + " (" + R.fileSize(file.size) + ")");
      link.href = file.url;
      link.target = "_blank";
      link.rel = "noopener";
      box.appendChild(link);
      const save = el("a", "doc-save", "Télécharger");
      save.href = file.url;
      save.download = file.name;
      box.appendChild(save);
    }
    return box;
  }

  function keyboard(message) {
    const box = el("div", "keyboard");
    message.buttons.forEach((row, r) => {
      const line = el("div", "kb-row");
      row.forEach((button, c) => {
        let node;
        if (button.url) {
          node = el("a", "kb-button kb-link", button.text + " ↗");
          node.href = button.url;
          node.target = "_blank";
          node.rel = "noopener noreferrer";
        } else if (button.web_app) {
          // The secure form: opened over the chat as Telegram does, the demo standing in for Telegram's script.
          node = el("button", "kb-button", button.text);
          node.type = "button";
          node.addEventListener("click", () => openForm(button.web_app));
        } else {
          node = el("button", "kb-button", button.text);
          node.type = "button";
          node.addEventListener("click", () => press(message, r, c, node, box));
        }
        line.appendChild(node);
      });
      box.appendChild(line);
    });
    return box;
  }

  // The secure form over the chat, as Telegram shows a Mini App; it closes itself (postMessage) once sent.
  function closeForm() {
    const open = document.getElementById("form-overlay");
    if (open) open.remove();
  }

  function openForm(url) {
    let target;
    try {
      target = new URL(url, window.location.href);
    } catch (error) {
      return;
    }
    if (target.origin !== window.location.origin || target.pathname !== "/form") {
      toast("Ce formulaire ne s'ouvre pas dans cette démonstration.");
      return;
    }
    closeForm();
    target.searchParams.set("demo_view", state.view);
    const overlay = el("div", "form-overlay");
    overlay.id = "form-overlay";
    const bar = el("div", "form-bar");
    bar.appendChild(el("span", "form-bar-title", "🔒 Formulaire sécurisé"));
    const close = el("button", "form-close", "✕ Fermer");
    close.type = "button";
    close.addEventListener("click", closeForm);
    bar.appendChild(close);
    const frame = document.createElement("iframe");
    frame.id = "form-frame";
    frame.title = "Formulaire sécurisé";
    frame.src = target.pathname + target.search;
    overlay.appendChild(bar);
    overlay.appendChild(frame);
    document.body.appendChild(overlay);
  }

  window.addEventListener("message", (event) => {
    if (event.origin === window.location.origin && event.data && event.data.entbotForm === "closed") closeForm();
  });

  function bubble(message, view) {
    const item = el("div", "msg " + (message.out ? "out" : "in"));
    item.dataset.id = String(message.id);
    // As in Telegram, names only in a group: a private chat has two people, a channel one voice.
    if (message.sender && !message.out && view.replies) item.appendChild(el("div", "sender", message.sender));
    if (message.forwarded_from) item.appendChild(el("div", "forwarded", "Transféré de " + message.forwarded_from));
    if (message.reply) {
      const quote = el("div", "quote");
      quote.appendChild(el("strong", "", message.reply.sender));
      quote.appendChild(el("span", "", " " + message.reply.excerpt));
      item.appendChild(quote);
    }
    const attachment = fileBlock(message);
    if (attachment) item.appendChild(attachment);
    if (message.text) {
      const text = el("div", "text");
      text.appendChild(R.renderText(message.text, message.entities, view.can_write ? (command) => send(command) : null));
      item.appendChild(text);
    }
    const meta = el("div", "meta", message.edited ? "modifié" : "");
    if (view.replies && !message.out) {
      const reply = el("button", "reply-link", "↩ Répondre");
      reply.type = "button";
      reply.addEventListener("click", () => setReply(message));
      meta.appendChild(reply);
    }
    item.appendChild(meta);
    const wrap = el("div", "msg-wrap " + (message.out ? "out" : "in"));
    wrap.dataset.id = String(message.id);
    wrap.appendChild(item);
    if (message.buttons && message.buttons.length) wrap.appendChild(keyboard(message));
    return wrap;
  }

  function renderChat(snapshot) {
    const view = currentView();
    const list = $("messages");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 60;
    const known = new Map();
    for (const node of list.querySelectorAll(".msg-wrap:not(.vanishing)")) known.set(Number(node.dataset.id), node);
    const messages = snapshot.messages.slice();
    // A message typed here shows at once; one the bot deleted (a password) then fades out, as in Telegram.
    const fading = [];
    for (const [id, message] of state.pending) {
      if (messages.some((m) => m.id === id)) {
        state.pending.delete(id);
      } else if (snapshot.last_id < id) {
        messages.push(message);  // not yet in the demo's answer
      } else {
        state.pending.delete(id);
        if (!state.rendered.includes(id)) fading.push(message);  // deleted before it was ever drawn
      }
    }
    messages.sort((a, b) => a.id - b.id);
    const { gone, order } = R.mergeVanished(messages, [...state.rendered, ...fading.map((m) => m.id)]);
    const byId = new Map(messages.map((m) => [m.id, m]));
    const fadingById = new Map(fading.map((m) => [m.id, m]));
    const nodes = order.map((id) => {
      if (byId.has(id)) return bubble(byId.get(id), view);
      const old = known.get(id) || (fadingById.has(id) ? bubble(fadingById.get(id), view) : null);
      if (!old) return null;
      setTimeout(() => old.classList.add("vanishing"), fadingById.has(id) ? 400 : 0);
      setTimeout(() => old.remove(), 1300);
      return old;
    }).filter(Boolean);
    list.replaceChildren(...nodes);
    state.rendered = messages.map((m) => m.id);
    $("start").hidden = !(view.can_write && messages.length === 0 && gone.length === 0);
    if (atBottom || snapshot.fresh) list.scrollTop = list.scrollHeight;
  }

  function render(snapshot) {
    if (snapshot.view !== state.view) return;
    state.last = snapshot;
    state.seen[state.view] = snapshot.latest[state.view] || 0;
    if (!state.seenInit) {
      Object.assign(state.seen, snapshot.latest);
      state.seenInit = true;
    }
    renderPeople(snapshot.latest);
    renderChat(snapshot);
    renderMail("mail-school", snapshot.mail.school);
    renderMail("mail-parents", snapshot.mail.parents);
  }

  // -- live updates ------------------------------------------------------------------------------

  async function pollLoop(generation) {
    while (generation === state.generation) {
      const controller = new AbortController();
      state.poll = controller;
      // After a failure, an immediate answer first: the page knows at once that the demo is back.
      const wait = state.etag && state.failures === 0 ? 25 : 0;
      const url = "/api/state?view=" + encodeURIComponent(state.view) + "&since=" + encodeURIComponent(state.etag) +
        "&wait=" + wait;
      // A request that outlives the server's wait is dead (a sleeping laptop, a dropped connection): start again.
      const timer = setTimeout(() => controller.abort(), (wait + 10) * 1000);
      try {
        const response = await fetch(url, { signal: controller.signal, cache: "no-store" });
        if (!response.ok) throw new Error("HTTP " + response.status);
        const snapshot = await response.json();
        if (generation !== state.generation) return;
        snapshot.fresh = !state.etag;
        state.etag = snapshot.etag;
        state.failures = 0;
        $("banner").hidden = true;
        render(snapshot);
      } catch (e) {
        if (generation !== state.generation) return;
        state.failures += 1;
        const banner = $("banner");
        banner.textContent = "Connexion à la démonstration perdue : nouvelle tentative…";
        banner.hidden = false;
        await new Promise((resolve) => setTimeout(resolve, R.backoff(state.failures)));
      } finally {
        clearTimeout(timer);
      }
    }
  }

  function restartPolling() {
    state.generation += 1;
    state.etag = "";
    if (state.poll) state.poll.abort();
    pollLoop(state.generation);
  }

  function switchTo(viewId) {
    if (viewId === state.view) return;
    state.view = viewId;
    state.pending.clear();
    state.rendered = [];
    state.last = null;
    $("messages").replaceChildren();
    setReply(null);
    showView();
    restartPolling();
  }

  function showView() {
    const view = currentView();
    $("chat-title").textContent = view.label;
    $("chat-hint").textContent = view.hint;
    $("composer").hidden = !view.can_write;
    $("composer-off").hidden = view.can_write;
    $("start").hidden = true;
    if (location.hash !== "#" + view.id) history.replaceState(null, "", "#" + view.id);
  }

  // -- acting ------------------------------------------------------------------------------------

  function setReply(message) {
    state.replyTo = message ? message.id : null;
    $("reply-bar").hidden = !message;
    $("reply-text").textContent = message ? "Réponse à " + message.sender + " : " + message.text.slice(0, 60) : "";
    if (message) $("text").focus();
  }

  async function press(message, row, col, node, box) {
    const buttons = box.querySelectorAll("button");
    buttons.forEach((b) => { b.disabled = true; });
    node.classList.add("pressed");
    try {
      const answer = await api("/api/click", {
        view: state.view, message_id: message.id, version: message.version, row: row, col: col,
      });
      if (answer.toast) toast(answer.toast);
    } catch (e) {
      toast(e.message);
    } finally {
      buttons.forEach((b) => { b.disabled = false; });
      node.classList.remove("pressed");
    }
  }

  async function send(text) {
    const view = state.view;
    const body = { view: view, text: text };
    if (state.replyTo !== null) body.reply_to = state.replyTo;
    try {
      const sent = await api("/api/send", body);
      setReply(null);
      if (view === state.view && !state.rendered.includes(sent.message_id)) {
        state.pending.set(sent.message_id, { id: sent.message_id, text: text, entities: [], kind: "text", out: true,
          buttons: [], edited: false, file: null });
        if (state.last && state.last.view === view) renderChat(state.last);
      }
      return true;
    } catch (e) {
      toast(e.message);
      return false;
    }
  }

  function bindComposer() {
    const input = $("text");
    $("composer").addEventListener("submit", async (event) => {
      event.preventDefault();
      const text = input.value;
      if (!text.trim()) return;
      input.value = "";
      if (!(await send(text))) input.value = text;
    });
    input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.shiftKey) {
        event.preventDefault();
        $("composer").requestSubmit();
      }
    });
    $("reply-cancel").addEventListener("click", () => setReply(null));
    $("start-button").addEventListener("click", () => send("/start"));
  }

  async function boot() {
    try {
      const response = await fetch("/api/setup", { cache: "no-store" });
      state.setup = await response.json();
    } catch (e) {
      $("banner").textContent = "La démonstration ne répond pas : est-elle encore lancée ?";
      $("banner").hidden = false;
      setTimeout(boot, 2000);
      return;
    }
    const wanted = location.hash.slice(1);
    if (state.setup.views.some((v) => v.id === wanted)) state.view = wanted;
    renderPeople(null);
    renderAccounts();
    bindComposer();
    showView();
    restartPolling();
  }

  document.addEventListener("DOMContentLoaded", boot);
})();
