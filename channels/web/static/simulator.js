// The simulator sends each message through POST /api/simulate, the same path as an SMS.
(function () {
  const thread = document.getElementById("thread");
  const form = document.getElementById("composer");
  const input = document.getElementById("message");
  const counter = document.getElementById("counter");
  const storageKey = "passerelle-simulator-sender";
  let sender = localStorage.getItem(storageKey);
  if (!sender) { sender = "web-" + Math.random().toString(36).slice(2, 12); localStorage.setItem(storageKey, sender); }

  function add(text, who) {
    const li = document.createElement("li");
    li.className = who;
    li.textContent = text;
    thread.appendChild(li);
    li.scrollIntoView({ block: "end" });
  }

  input.addEventListener("input", function () {
    const n = input.value.length;
    counter.textContent = n + (n > 1 ? " caractères" : " caractère");
  });
  input.addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); form.requestSubmit(); }
  });
  document.getElementById("reset").addEventListener("click", function () {
    localStorage.removeItem(storageKey);
    location.reload();
  });

  form.addEventListener("submit", async function (e) {
    e.preventDefault();
    const text = input.value;
    if (!text.trim()) { return; }
    add(text, "me");
    input.value = "";
    counter.textContent = "0 caractère";
    try {
      const response = await fetch("/api/simulate", {
        method: "POST", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sender: sender, text: text })
      });
      const data = await response.json();
      if (!response.ok) { add((data.problems || [data.error || "erreur"]).join("\n"), "bot error"); return; }
      data.replies.forEach(function (r) { add(r, "bot"); });
    } catch (err) {
      add("Le service ne répond pas. Réessayez dans un instant.", "bot error");
    }
  });
})();
