// The secure form's page: asks the server for its step's fields once Telegram vouched for the person, checks the
// password rule as it is typed (the rule's numbers and words come from the server), and sends the values.
"use strict";

(function () {
  const texts = JSON.parse(document.body.dataset.texts || "{}");
  const status = document.getElementById("status");
  const title = document.getElementById("title");
  const formEl = document.getElementById("form");
  let token = new URLSearchParams(window.location.search).get("t") || "";
  const webApp = window.Telegram && window.Telegram.WebApp ? window.Telegram.WebApp : null;
  const initData = webApp && typeof webApp.initData === "string" ? webApp.initData : "";
  let renew = false; // the step refused a value: the next try asks for a fresh link first
  let rule = null;

  function say(text, kind) {
    status.textContent = text;
    status.className = kind || "";
  }

  if (!webApp || !initData || !token) {
    say(texts.outside, "error"); // opened outside Telegram, or without Telegram's script
    return;
  }
  webApp.ready();
  if (typeof webApp.expand === "function") webApp.expand();

  async function post(path, body) {
    const response = await fetch(path, {
      method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body),
      credentials: "same-origin", cache: "no-store", referrerPolicy: "no-referrer",
    });
    return response.json();
  }

  async function open() {
    const data = await post("/form/api/open", { token: token, init_data: initData });
    if (!data.ok) {
      say(data.message, "error");
      formEl.hidden = true;
      return null;
    }
    token = data.token;
    renew = false;
    return data.page;
  }

  function el(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  // How many of the four kinds the password mixes, as conversations/password_rules.py counts them: the three
  // patterns it serves; "other" is what is neither a letter, a digit, a mark nor a space (Python's [^\w\s]), or "_".
  function kinds(password) {
    let count = 0;
    for (const pattern of Object.values(rule.patterns)) if (new RegExp(pattern, "u").test(password)) count += 1;
    if (/[^\p{L}\p{N}\p{M}\p{Pc}\s]|_/u.test(password)) count += 1;
    return count;
  }

  function checklist(input) {
    const list = el("ul", { class: "rule", id: "rule" });
    const lines = { length: el("li", { "data-rule": "length" }, rule.lines.length),
                    kinds: el("li", { "data-rule": "kinds" }, rule.lines.kinds),
                    other: el("li", { "data-rule": "other", class: "info" }, rule.lines.other) };
    for (const line of Object.values(lines)) list.append(line);
    const update = () => {
      const value = input.value;
      lines.length.classList.toggle("ok", value.length >= rule.min_length && value.length <= rule.max_length);
      lines.kinds.classList.toggle("ok", kinds(value) >= rule.min_kinds);
    };
    input.addEventListener("input", update);
    update();
    return list;
  }

  function field(spec) {
    const wrap = el("div", { class: "field" });
    const id = "f-" + spec.name;
    wrap.append(el("label", { for: id }, spec.label));
    const row = el("div", { class: "row" });
    const input = el("input", {
      id: id, name: spec.name, type: spec.secret ? "password" : "text", autocomplete: spec.autocomplete,
      maxlength: String(spec.max_length), required: "", autocapitalize: "off", autocorrect: "off", spellcheck: "false",
      dir: spec.direction || "ltr", // a secret keeps its own order, whatever the page's direction (conversations/form.py)
    });
    if (spec.numeric) {
      input.setAttribute("inputmode", "numeric");
      input.setAttribute("pattern", "[0-9 ]*");
    }
    row.append(input);
    if (spec.secret) {
      const eye = el("button", { type: "button", class: "eye", "aria-pressed": "false", "aria-controls": id }, texts.show);
      eye.addEventListener("click", () => {
        const shown = input.type === "text";
        input.type = shown ? "password" : "text";
        eye.textContent = shown ? texts.show : texts.hide;
        eye.setAttribute("aria-pressed", String(!shown));
      });
      row.append(eye);
    }
    wrap.append(row);
    return { wrap: wrap, input: input };
  }

  function build(page) {
    formEl.replaceChildren();
    title.textContent = page.title;
    formEl.append(el("p", { class: "intro" }, page.intro));
    const inputs = {};
    let select = null;
    const offered = page.questions.map((text, i) => [i + 1, text]).filter(([, text]) => text);
    if (offered.length > 1) {
      const wrap = el("div", { class: "field" });
      wrap.append(el("label", { for: "f-question" }, texts.question));
      select = el("select", { id: "f-question", name: "question" });
      for (const [number, text] of offered) {
        const option = el("option", { value: String(number) }, text);
        if (number === page.question) option.selected = true;
        select.append(option);
      }
      wrap.append(select);
      formEl.append(wrap);
    } else if (offered.length === 1) {
      formEl.append(el("p", { class: "question", id: "question" }, offered[0][1]));
    }
    rule = page.rule;
    page.fields.forEach((spec, index) => {
      const made = field(spec);
      inputs[spec.name] = made.input;
      formEl.append(made.wrap);
      if (index === 0 && rule) formEl.append(checklist(made.input));
    });
    for (const input of Object.values(inputs)) {
      input.addEventListener("input", () => { if (status.className === "error") say("", ""); });
    }
    const button = el("button", { type: "submit", id: "send", class: "send" }, texts.submit);
    formEl.append(button);
    formEl.hidden = false;
    say("", "");
    inputs.value.focus();

    formEl.addEventListener("submit", async (event) => {
      event.preventDefault();
      const values = { value: inputs.value.value };
      if (!values.value.trim()) {
        inputs.value.focus();
        return;
      }
      if (inputs.confirm) {
        if (inputs.confirm.value !== inputs.value.value) {
          say(rule ? rule.mismatch : "", "error");
          inputs.confirm.focus();
          return;
        }
        values.confirm = inputs.confirm.value;
      }
      if (select) values.question = select.value;
      button.disabled = true;
      button.textContent = texts.sending;
      try {
        if (renew && !(await open())) return;
        const data = await post("/form/api/submit", { token: token, init_data: initData, values: values });
        if (data.ok) {
          say(data.message, "done");
          formEl.hidden = true;
          webApp.close();
          return;
        }
        say(data.message, "error");
        if (data.retry) {
          renew = true;
          for (const input of Object.values(inputs)) input.value = "";
          inputs.value.dispatchEvent(new Event("input"));
          inputs.value.focus();
        } else {
          formEl.hidden = true;
        }
      } catch (error) {
        say(texts.network, "error");
      } finally {
        button.disabled = false;
        button.textContent = texts.submit;
      }
    });
  }

  open().then((page) => { if (page) build(page); }, () => say(texts.network, "error"));
})();
