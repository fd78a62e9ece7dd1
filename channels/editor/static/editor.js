// Content console: live feedback while typing, "try it" before/after, publication status.
// No framework; every sentence comes from the server (JSON built from the catalogue) or data-*.
(function () {
  "use strict";
  const form = document.getElementById("entry-form");
  const csrf = form ? form.querySelector("input[name=csrf_token]").value : null;

  function post(url, data) {
    return fetch(url, { method: "POST", body: data, credentials: "same-origin",
                        headers: { "X-CSRF-Token": csrf, "X-Console-Fragment": "1" } })
      .then((response) => (response.ok ? response.json() : null));
  }

  function item(text, className) {
    const li = document.createElement("li");
    li.textContent = text;
    if (className) { li.className = className; }
    return li;
  }

  // -- live feedback -------------------------------------------------------------------------
  let timer = null;
  let sequence = 0;
  function refreshFeedback() {
    const mine = ++sequence;
    post(form.dataset.feedbackUrl, new FormData(form)).then((result) => {
      if (!result || mine !== sequence) { return; }  // an older answer arriving late is dropped
      form.querySelectorAll("ul.feedback").forEach((list) => {
        list.replaceChildren(...(result.fields[list.dataset.field] || [])
          .map((finding) => item(finding.text, "level-" + finding.level)));
      });
    });
  }
  if (form && form.dataset.feedbackUrl) {
    form.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refreshFeedback, 400); });
    refreshFeedback();
  }

  // -- try it --------------------------------------------------------------------------------
  const tryButton = document.getElementById("try-run");
  const tryInput = document.getElementById("try-q");
  function showHits(box, heading, hits) {
    const section = document.createElement("div");
    section.appendChild(Object.assign(document.createElement("h3"), { textContent: heading }));
    const list = document.createElement("ol");
    if (!hits.length) { list.appendChild(item(box.dataset.empty)); }
    hits.forEach((hit) => {
      let text = hit.title + " (" + hit.id + ") · " + hit.score.toFixed(3);
      if (hit.answers) { text += " · " + box.dataset.answers; }
      if (hit.edited) { text += " · " + box.dataset.edited; }
      list.appendChild(item(text, hit.edited ? "edited" : ""));
    });
    section.appendChild(list);
    return section;
  }
  function runTry() {
    const box = document.querySelector(".try-results");
    const data = new FormData(form);
    data.set("q", tryInput.value);
    tryButton.disabled = true;
    post(document.querySelector(".try").dataset.url, data).then((result) => {
      tryButton.disabled = false;
      if (!result) { return; }
      const parts = [showHits(box, box.dataset.before, result.before), showHits(box, box.dataset.after, result.after)];
      if (result.problem) { parts.unshift(item(result.problem, "level-problem")); }
      box.replaceChildren(...parts);
    }, () => { tryButton.disabled = false; });
  }
  if (tryButton && form) {
    tryButton.addEventListener("click", runTry);
    tryInput.addEventListener("keydown", (event) => { if (event.key === "Enter") { event.preventDefault(); runTry(); } });
  }

  // -- publication status --------------------------------------------------------------------
  const banner = document.getElementById("publication");
  function poll() {
    fetch(banner.dataset.url, { credentials: "same-origin", headers: { "X-Console-Fragment": "1" } })
      .then((response) => (response.ok ? response.json() : null))
      .then((status) => {
        if (!status) { return; }
        banner.textContent = status.text;
        banner.dataset.state = status.state;
        banner.classList.toggle("banner-problem", status.state === "failed");
        banner.classList.toggle("banner-notice", status.state !== "failed");
        if (status.busy) { setTimeout(poll, 1500); }
      });
  }
  if (banner && banner.dataset.busy === "true") { setTimeout(poll, 1000); }
})();
