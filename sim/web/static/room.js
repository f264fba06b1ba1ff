// cyberttx exercise room: one script for every screen. It follows the room's event stream
// (Server-Sent Events), shows what this role may see, and posts the role's actions as JSON
// with the page's form token. Every text from the server is set with textContent (never as
// HTML). Licence: Apache-2.0, as the rest of cyberttx.
"use strict";

const config = JSON.parse(document.getElementById("config").textContent);
const words = config.words;
let after = 0;
let epoch = "";
let source = null;

function el(tag, text, cls) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  if (cls) node.className = cls;
  return node;
}

function hours(h) {
  return Number(h).toFixed(1) + " " + words.hours;
}

function amount(x) {
  const v = Number(x);
  if (Math.abs(v) >= 1e6) return (v / 1e6).toFixed(1) + " M";
  if (Math.abs(v) >= 1e3) return (v / 1e3).toFixed(1) + " k";
  return v.toFixed(0);
}

function banner(text, isError) {
  const b = document.getElementById("banner");
  b.textContent = text;
  b.hidden = !text;
  b.classList.toggle("error", Boolean(isError));
}

async function post(path, body, button) {
  // One request at a time per button: a double click sends once.
  if (button) {
    if (button.disabled) return false;
    button.disabled = true;
  }
  try {
    const response = await fetch("/r/" + config.code + "/" + path, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": config.csrf },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10000),
    });
    let answer = {};
    try { answer = await response.json(); } catch (e) { answer = {}; }
    if (!response.ok) {
      banner(words.error + ": " + (answer.error || response.status), true);
      return false;
    }
    banner(answer.queued ? words.queued : words.done);
    return true;
  } catch (e) {
    banner(words.not_sent, true);
    return false;
  } finally {
    if (button) button.disabled = false;
  }
}

// -- items ---------------------------------------------------------------------------------

function said(item) {
  // A feed line in this screen's language: its key's words with the fields filled in.
  const template = item.key ? words["feed." + item.key] : null;
  if (!template) return (item.translated || {})[config.language] || item.text;
  const fields = item.fields || {};
  return template.replace(/\{(\w+)\}/g, (whole, name) => {
    const value = fields[name];
    if (value === undefined) return whole;
    if (name === "country" || name === "to") {  // country ids, one or several
      return value.split(", ").map((c) => config.countries[c] || c).join(", ");
    }
    return words[name + "." + value] || value;
  });
}

function addItem(item) {
  document.querySelectorAll("[data-kinds]").forEach((list) => {
    const kinds = list.dataset.kinds.split(" ");
    if (!kinds.includes(item.kind)) return;
    if (list.id === "public" && !item.public) return;
    const li = el("li", null, "item " + item.kind + (item.held ? " held" : ""));
    li.append(el("span", hours(item.time), "time"));
    li.append(el("span", words[item.kind + "_kind"] || item.kind, "kind"));
    if (item.kind === "inject") li.append(el("span", (item.from || "") + " → " + (item.to || ""), "route"));
    li.append(el("p", item.kind === "end" ? words.ended : said(item), "text"));
    list.prepend(li);
  });
  if (item.kind === "inject" && !item.held) {
    const row = document.querySelector('[data-seq="' + item.sequence + '"] .delivered-mark');
    if (row) row.hidden = false;
  }
  if (item.kind === "end") {
    const d = document.getElementById("downloads");
    if (d) d.hidden = false;
  }
}

// -- state ---------------------------------------------------------------------------------

let shownPending = "";
let countdowns = [];

function mayDecide(p) {
  return config.role === "facilitator" || config.role === p.team;
}

function showPending(pending, running) {
  const box = document.getElementById("pending");
  if (!box) return;
  const signature = JSON.stringify(pending.map((p) => p.point));
  countdowns = pending.map((p) => ({ point: p.point, left: p.seconds_left, at: Date.now(), running }));
  if (signature === shownPending) { tick(); return; }  // rebuild only when the points change
  shownPending = signature;
  box.replaceChildren();
  if (!pending.length) {
    box.append(el("p", words.no_pending, "quiet"));
    return;
  }
  pending.forEach((p) => {
    const card = el("div", null, "decision");
    card.dataset.point = p.point;
    const local = (p.translated || {})[config.language] || p;
    card.append(el("p", local.prompt, "prompt"));
    if (config.role === "facilitator") {
      const team = p.team.startsWith("team:") ? config.countries[p.team.slice(5)] : words.facilitator;
      card.append(el("p", words.decide_for + ": " + team, "who"));
    }
    card.append(el("p", "", "countdown"));
    const options = el("div", null, "options");
    local.options.forEach((label, k) => {
      const b = el("button", label + (k === p.default ? " (" + words.default + ")" : ""));
      b.disabled = !mayDecide(p);
      b.addEventListener("click", () => post("answer", { point: p.point, option: k }, b));
      options.append(b);
    });
    card.append(options);
    box.append(card);
  });
  tick();
}

function tick() {
  // Each waiting decision's seconds left, counted down here while the clock runs.
  countdowns.forEach((c) => {
    const node = document.querySelector('[data-point="' + c.point + '"] .countdown');
    if (!node) return;
    const gone = c.running ? (Date.now() - c.at) / 1000 : 0;
    node.textContent = Math.max(0, Math.round(c.left - gone)) + " " + words.seconds_left;
  });
}
setInterval(tick, 1000);

let shownRequests = "";

function showRequests(requests) {
  const list = document.getElementById("requests");
  if (!list) return;
  const signature = JSON.stringify(requests);
  if (signature === shownRequests) return;
  shownRequests = signature;
  list.replaceChildren();
  const me = config.role.startsWith("team:") ? config.role.slice(5) : null;
  requests.forEach((r) => {
    const li = el("li", null, "request " + r.status);
    const from = config.countries[r.from] || r.from;
    const to = config.countries[r.to] || r.to;
    li.append(el("span", from + " → " + to + ": " + r.analysts + " " + words.analysts + " (" + (words[r.status] || r.status) + ")"));
    if (me === r.to && r.status === "open") {
      const lend = el("button", words.accept);
      lend.dataset.reply = "accept";
      lend.addEventListener("click", () => post("reply", { request: r.id, accept: true }, lend));
      const no = el("button", words.decline);
      no.dataset.reply = "decline";
      no.addEventListener("click", () => post("reply", { request: r.id, accept: false }, no));
      li.append(lend, no);
    }
    list.append(li);
  });
}

function showBoard(board) {
  const kpis = (board && board.kpis) || {};
  document.querySelectorAll("[data-kpi]").forEach((dd) => {
    const v = kpis[dd.dataset.kpi];
    dd.textContent = v === undefined ? "0" : amount(v);
  });
  const grid = document.getElementById("cascade");
  if (!grid || !board || !board.cells) return;
  const countries = Object.keys(board.cells).sort();
  const sectors = config.sectors.filter((s) => countries.some((c) => board.cells[c][s]));
  const table = el("table");
  const head = el("tr");
  head.append(el("th", ""));
  sectors.forEach((s) => head.append(el("th", words["sector." + s] || s, "sector")));
  table.append(head);
  countries.forEach((c) => {
    const row = el("tr");
    row.append(el("th", config.countries[c] || c));
    sectors.forEach((s) => {
      const cell = board.cells[c][s];
      const td = el("td", cell ? cell[0] + "/" + cell[1] : "", "cell");
      if (cell) {
        const share = cell[0] / cell[1];
        td.style.setProperty("--down", share.toFixed(3));
        if (cell[0] > 0) td.classList.add("down");
        if (share >= 0.4) td.classList.add("most");
      } else {
        td.classList.add("none");
      }
      row.append(td);
    });
    table.append(row);
  });
  grid.replaceChildren(table);
}

function showWindows(clock) {
  const list = document.getElementById("windows");
  if (!list) return;
  list.closest("section").hidden = !config.windows.length;  // a scenario without major events
  list.replaceChildren();
  config.windows.forEach(([name, start, end]) => {
    const li = el("li", name + " · " + hours(start) + " – " + hours(end), "window");
    if (clock >= start && clock < end) {
      li.classList.add("now");
      li.append(el("strong", " · " + words.now));
    }
    list.append(li);
  });
}

function calendar(s) {
  // The scenario's local date and time, in this screen's language.
  if (!s.local_time) return s.calendar;
  const when = new Date(s.local_time + "Z");
  const format = { weekday: "short", day: "numeric", month: "short", hour: "2-digit",
    minute: "2-digit", hourCycle: "h23", timeZone: "UTC" };
  try { return new Intl.DateTimeFormat(config.language, format).format(when); }
  catch (e) { return s.calendar; }
}

function showState(s) {
  document.getElementById("clock").textContent = hours(s.clock) + " / " + hours(s.duration);
  document.getElementById("calendar").textContent = calendar(s);
  const status = document.getElementById("status");
  status.textContent = s.failed ? words.failed : s.ended ? words.ended : s.ending ? words.ending
    : s.catching_up ? words.catching_up : s.paused ? words.paused : words.running;
  status.className = "status " + (s.ended ? "ended" : s.paused ? "paused" : "running");
  if (s.failed) banner(words.failed + ": " + s.failed, true);
  showPending(s.pending || [], !s.paused);
  document.querySelectorAll("[data-setting]").forEach((input) => {
    const value = input.dataset.setting === "pace" ? s.pace : s.timeout_minutes;
    if (value !== undefined && document.activeElement !== input) input.value = value;
  });
  if (s.ended || s.ending) {
    document.querySelectorAll(".controls button, .controls input, form.action button").forEach((b) => { b.disabled = true; });
  }
  showRequests(s.requests || []);
  showBoard(s.board);
  showWindows(s.clock);
  (s.held || []).forEach((n) => {
    const mark = document.querySelector('[data-held="' + n + '"]');
    if (mark) mark.hidden = false;
  });
  document.querySelectorAll("[data-held]").forEach((mark) => {
    mark.hidden = !(s.held || []).includes(Number(mark.dataset.held));
  });
  if (s.ended) {
    const d = document.getElementById("downloads");
    if (d) d.hidden = false;
  }
}

// -- the stream ----------------------------------------------------------------------------

function connect() {
  const url = "/r/" + config.code + "/events?after=" + after + "&epoch_seen=" + encodeURIComponent(epoch);
  source = new EventSource(url);
  source.addEventListener("hello", (e) => {
    const hello = JSON.parse(e.data);
    if (epoch && hello.epoch !== epoch) { window.location.reload(); return; }
    epoch = hello.epoch;
    banner("");
  });
  source.addEventListener("item", (e) => {
    const item = JSON.parse(e.data);
    after = Math.max(after, item.id);
    addItem(item);
  });
  source.addEventListener("state", (e) => showState(JSON.parse(e.data)));
  source.onerror = () => {
    banner(words.reconnecting, true);
    source.close();
    source = null;
    setTimeout(() => { if (!document.hidden && !source) connect(); }, 2000);
  };
}

// A browser keeps at most six connections to one server, and a stream holds one: a hidden
// tab lets go of its stream, so that a facilitator's open tabs never starve the others.
document.addEventListener("visibilitychange", () => {
  if (document.hidden && source) {
    source.close();
    source = null;
  } else if (!document.hidden && !source) {
    connect();
  }
});

// -- actions -------------------------------------------------------------------------------

document.querySelectorAll("button[data-act]").forEach((button) => {
  button.addEventListener("click", () => {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    const body = { command: button.dataset.act };
    if (button.dataset.value) body.value = Number(button.dataset.value);
    post("act", body, button);
  });
});

document.querySelectorAll("form[data-post]").forEach((form) => {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const body = {};
    if (form.dataset.post === "act") {
      body.command = form.dataset.command;
      body.value = Number(data.get("value"));
    } else {
      if (form.dataset.kind) body.kind = form.dataset.kind;
      for (const [key, value] of data.entries()) {
        if (key === "to") (body.to = body.to || []).push(value);
        else if (["hours", "analysts"].includes(key)) body[key] = Number(value);
        else if (value !== "") body[key] = value;
      }
    }
    if (await post(form.dataset.post, body, form.querySelector("button[type=submit]"))) {
      form.querySelectorAll("textarea").forEach((t) => { t.value = ""; });
      form.querySelectorAll("input[type=checkbox]").forEach((c) => { c.checked = false; });
    }
  });
});

connect();
