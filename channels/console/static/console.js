// Mediator console: live queue, urgent alerts, SMS counter, snippet search. No framework:
// every text comes from data-* attributes the server filled from the catalogue.
(function () {
  "use strict";
  const body = document.body;
  const FRAGMENT = { headers: { "X-Console-Fragment": "1" }, credentials: "same-origin" };

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, (all, key) => (key in values ? String(values[key]) : all));
  }

  async function fetchFragment(url) {
    const response = await fetch(url, FRAGMENT);
    if (response.status === 401) { window.location.reload(); return null; }
    return response.ok ? response.text() : null;
  }

  // -- alerts: sound, desktop notification, an assertive live region, the tab title ----------
  const ALERTS_KEY = "passerelle-console-alerts";
  const toggle = document.getElementById("alerts-toggle");
  const liveAlert = document.getElementById("live-alert");
  const baseTitle = document.title;
  let audio = null;

  function alertsOn() { return window.localStorage.getItem(ALERTS_KEY) === "on"; }

  function unlockAudio() {
    if (!audio && (window.AudioContext || window.webkitAudioContext)) {
      audio = new (window.AudioContext || window.webkitAudioContext)();
    }
    if (audio && audio.state === "suspended") { audio.resume(); }
  }

  function showToggle() {
    if (!toggle) { return; }
    const on = alertsOn();
    toggle.setAttribute("aria-pressed", on ? "true" : "false");
    toggle.textContent = on ? toggle.dataset.labelOn : toggle.dataset.labelOff;
  }

  if (toggle) {
    showToggle();
    toggle.addEventListener("click", () => {
      if (alertsOn()) {
        window.localStorage.setItem(ALERTS_KEY, "off");
      } else {
        window.localStorage.setItem(ALERTS_KEY, "on");
        unlockAudio();
        if ("Notification" in window && Notification.permission === "default") { Notification.requestPermission(); }
      }
      showToggle();
    });
    // Browsers only allow sound after a gesture: the first click or key press unlocks it.
    ["pointerdown", "keydown"].forEach((name) => document.addEventListener(name, () => {
      if (alertsOn()) { unlockAudio(); }
    }, { once: true }));
  }

  function beep() {
    if (!audio || audio.state !== "running") { return; }
    const now = audio.currentTime;
    [0, 0.25].forEach((offset) => {
      const tone = audio.createOscillator();
      const gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.setValueAtTime(0.2, now + offset);
      gain.gain.exponentialRampToValueAtTime(0.001, now + offset + 0.2);
      tone.connect(gain).connect(audio.destination);
      tone.start(now + offset);
      tone.stop(now + offset + 0.2);
    });
  }

  function alertUrgent(ids) {
    const text = fill(body.dataset.alertUrgent || "", { count: ids.length });
    if (liveAlert) { liveAlert.textContent = text; }
    document.title = "(!) " + baseTitle;
    if (alertsOn()) {
      beep();
      if ("Notification" in window && Notification.permission === "granted") {
        const note = new Notification(body.dataset.alertTitle || "", { body: text, tag: "urgent-" + ids.join("-") });
        note.onclick = () => { window.focus(); window.location.href = "/console/conversations/" + ids[0]; };
      }
    }
  }

  window.addEventListener("focus", () => { document.title = baseTitle; });

  // -- the queue: refetch the rows on change, tick the waiting times -------------------------
  const queue = document.getElementById("queue");

  function tick() {
    if (!queue) { return; }
    const target = Number(queue.dataset.targetMinutes);
    const now = Date.now();
    queue.querySelectorAll("td.waiting").forEach((cell) => {
      const minutes = Math.max(0, Math.floor((now - Date.parse(cell.dataset.waitingSince)) / 60000));
      const late = cell.dataset.state === "waiting" && minutes >= target;
      cell.querySelector(".minutes").textContent = fill(queue.dataset.minutesTemplate, { minutes: minutes, target: target });
      cell.querySelector(".late-label").textContent = late ? queue.dataset.lateLabel : "";
      cell.closest("tr").classList.toggle("late", late);
    });
  }

  async function refreshQueue() {
    const focused = document.activeElement && document.activeElement.closest("tr[data-conversation-id]");
    const html = await fetchFragment(queue.dataset.rowsUrl);
    if (html === null) { return; }
    queue.innerHTML = html;
    tick();
    if (focused) {
      const again = queue.querySelector('tr[data-conversation-id="' + focused.dataset.conversationId + '"] a');
      if (again) { again.focus(); }
    }
  }

  if (queue) { window.setInterval(tick, 30000); }

  // -- one conversation: refetch the transcript on change --------------------------------------
  const conversation = document.querySelector(".conversation[data-conversation-id]");

  function scrollTranscript() {
    const list = document.getElementById("transcript");
    if (list) { list.scrollTop = list.scrollHeight; }
  }

  async function refreshConversation() {
    const html = await fetchFragment(conversation.dataset.liveUrl);
    if (html === null) { return; }
    document.getElementById("live").innerHTML = html;
    scrollTranscript();
    const part = document.querySelector("#live [data-state]");
    if (part && part.dataset.state !== conversation.dataset.state) {
      document.getElementById("state-changed").hidden = false;
    }
  }

  if (conversation) { scrollTranscript(); }

  // -- live events ----------------------------------------------------------------------------
  if (body.dataset.events && "EventSource" in window) {
    const source = new EventSource(body.dataset.events);
    const onChange = (event, first) => {
      const change = first ? { changed: [], urgent_arrived: [] } : JSON.parse(event.data);
      if (queue && (first || change.changed.length)) { refreshQueue(); }
      if (conversation && (first || change.changed.includes(conversation.dataset.conversationId))) {
        refreshConversation();
      }
      if (change.urgent_arrived.length) { alertUrgent(change.urgent_arrived); }
    };
    source.addEventListener("hello", (event) => onChange(event, true));
    source.addEventListener("queue", (event) => onChange(event, false));
  }

  // -- the reply box: the counter (measured by the server, as the sender will cut it) ---------
  const reply = document.getElementById("reply-body");
  const counter = document.getElementById("reply-counter");
  let counting = null;
  let asked = 0;

  async function count() {
    const mine = ++asked;  // answers may come back out of order: only the latest one counts
    const form = reply.form;
    const data = new FormData();
    data.append("body", reply.value);
    const response = await fetch(counter.dataset.url, {
      method: "POST", body: data, credentials: "same-origin",
      headers: { "X-CSRF-Token": form.querySelector("input[name=csrf_token]").value },
    });
    if (!response.ok || mine !== asked) { return; }
    const cost = await response.json();
    if (mine !== asked) { return; }
    counter.textContent = cost.text;
    counter.dataset.segments = String(cost.segments);
    counter.dataset.pages = String(cost.pages);
  }

  if (reply && counter) {
    reply.addEventListener("input", () => {
      window.clearTimeout(counting);
      counting = window.setTimeout(count, 150);
    });
  }

  const snippets = document.getElementById("snippets");
  const search = document.getElementById("snippet-search");

  function prepareInsertButtons() {
    snippets.querySelectorAll("button.insert").forEach((button) => { button.hidden = !reply; });
  }

  if (snippets) {
    prepareInsertButtons();
    snippets.addEventListener("click", (event) => {
      const button = event.target.closest("button.insert");
      if (!button || !reply) { return; }
      const start = reply.selectionStart;
      const before = reply.value.slice(0, start);
      const glue = before && !before.endsWith("\n") ? "\n" : "";
      reply.value = before + glue + button.dataset.text + reply.value.slice(reply.selectionEnd);
      const caret = (before + glue + button.dataset.text).length;
      reply.focus();
      reply.setSelectionRange(caret, caret);
      reply.dispatchEvent(new Event("input"));
    });
  }

  if (search && snippets) {
    search.addEventListener("submit", async (event) => {
      event.preventDefault();
      const q = search.querySelector("input[name=q]").value;
      const url = search.dataset.url + "?q=" + encodeURIComponent(q) + "&lang=" + encodeURIComponent(search.dataset.lang);
      const html = await fetchFragment(url);
      if (html !== null) { snippets.innerHTML = html; prepareInsertButtons(); }
    });
  }
})();
