// The surge console's only script: pages follow changes over server-sent events
// (the server renders every fragment it sends; nothing here builds HTML). Without it
// the console still works: reload to see what changed.
"use strict";

function follow(url, events) {
  const live = document.getElementById("live");
  const source = new EventSource(url);
  const show = (on) => {
    if (!live) return;
    live.textContent = on ? live.dataset.on : live.dataset.off;
    live.className = on ? "live on" : "live off";
  };
  source.onopen = () => show(true);
  source.onerror = () => show(false);
  for (const [name, handle] of Object.entries(events)) {
    source.addEventListener(name, (event) => handle(event.data));
  }
  return source;
}

document.addEventListener("DOMContentLoaded", () => {
  const list = document.getElementById("incidents");
  if (list && list.dataset.live) {
    const rows = document.getElementById("incident-rows");
    follow(list.dataset.live + window.location.search, {
      rows: (html) => { rows.innerHTML = html; },
    });
  }
  const summary = document.getElementById("summary");
  if (summary && summary.dataset.live) {
    const entries = document.getElementById("timeline-rows");
    follow(summary.dataset.live + "?after=" + encodeURIComponent(summary.dataset.after), {
      summary: (html) => { summary.innerHTML = html; },
      entries: (html) => { entries.insertAdjacentHTML("beforeend", html); },
    });
  }
  for (const select of document.querySelectorAll("form.lang select")) {
    select.addEventListener("change", () => select.form.submit());
  }
});
