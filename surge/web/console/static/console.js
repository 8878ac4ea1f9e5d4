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
  // each live element says what it shows (data-seen), so only changes are sent
  const list = document.getElementById("incidents");
  if (list && list.dataset.live) {
    const rows = document.getElementById("incident-rows");
    const query = new URLSearchParams(window.location.search);
    query.set("seen", list.dataset.seen);
    follow(list.dataset.live + "?" + query, {
      rows: (html) => { rows.innerHTML = html; },
    });
  }
  const summary = document.getElementById("summary");
  if (summary && summary.dataset.live) {
    const entries = document.getElementById("timeline-rows");
    const query = new URLSearchParams({after: summary.dataset.after, seen: summary.dataset.seen});
    follow(summary.dataset.live + "?" + query, {
      summary: (html) => {
        // a note being typed beside the buttons survives the redraw
        const typing = summary.querySelector("input[name=note]");
        const note = typing ? typing.value : "";
        const focused = typing && document.activeElement === typing;
        summary.innerHTML = html;
        const again = summary.querySelector("input[name=note]");
        if (again) {
          again.value = note;
          if (focused) again.focus();
        }
      },
      entries: (html) => { entries.insertAdjacentHTML("beforeend", html); },
    });
  }
  const compose = document.getElementById("compose");
  if (compose && compose.dataset.preview) {
    // the notice composer: the server renders the preview of what is typed
    const preview = document.getElementById("preview");
    const live = document.getElementById("live");
    let timer = null;
    let asked = 0;
    const ask = async () => {
      const mine = ++asked;
      try {
        const answer = await fetch(compose.dataset.preview, {
          method: "POST",
          body: new URLSearchParams(new FormData(compose)),
          credentials: "same-origin",
        });
        if (mine !== asked) return;  // a newer preview is on its way
        preview.innerHTML = await answer.text();
        if (live) { live.textContent = live.dataset.on; live.className = "live on"; }
      } catch (error) {
        if (live) { live.textContent = live.dataset.off; live.className = "live off"; }
      }
    };
    const soon = () => { clearTimeout(timer); timer = setTimeout(ask, 250); };
    compose.addEventListener("input", soon);
    compose.addEventListener("change", soon);
  }
  for (const select of document.querySelectorAll("form.lang select")) {
    select.addEventListener("change", () => select.form.submit());
  }
});
