/* surge banner: shows the active banner of a surge status page on any website or web view.

   <script src="https://status.example.com/banner.js" async></script>

   Optional attributes on that script element:
     data-src      where banner.json is (default: next to banner.js)
     data-lang     zh-CN, zh-TW or en (default: the page's lang, then the browser's)
     data-refresh  seconds between checks (default 60); a cleared banner goes away
     data-target   the id of an element to put the banner in (default: top of <body>)

   The text is only ever set as text (textContent), never as HTML; a link is shown only
   when it is an http(s) address. Nothing is loaded but banner.json, nothing is stored. */
(function () {
  "use strict";
  var script = document.currentScript;
  var attr = function (name) { return script ? script.getAttribute(name) : null; };
  var here = script && script.src ? script.src : location.href;
  var feed = new URL(attr("data-src") || "banner.json", here).href;
  var refresh = Math.max(1, Number(attr("data-refresh")) || 60) * 1000;
  var id = "surge-banner";
  var colours = {
    info: ["#0b3d91", "#ffffff"],
    warning: ["#fff4ce", "#3d2e00"],
    critical: ["#a4161a", "#ffffff"]
  };
  var words = {
    "zh-CN": { close: "关闭", more: "详情" },
    "zh-TW": { close: "關閉", more: "詳情" },
    en: { close: "Close", more: "Details" }
  };
  var dismissed = null;

  function locale() {
    var tag = (attr("data-lang") || document.documentElement.lang || navigator.language || "en")
      .toLowerCase();
    if (/^zh-(tw|hk|mo|hant)/.test(tag)) { return "zh-TW"; }
    if (/^zh/.test(tag)) { return "zh-CN"; }
    return "en";
  }

  function text(texts, lang) {
    if (!texts) { return ""; }
    return texts[lang] || texts.en || texts["zh-CN"] || texts["zh-TW"] || "";
  }

  function safeLink(link) {
    if (!link) { return null; }
    try {
      var url = new URL(link, here);
      return url.protocol === "https:" || url.protocol === "http:" ? url.href : null;
    } catch (error) {
      return null;
    }
  }

  function hide() {
    var shown = document.getElementById(id);
    if (shown) { shown.parentNode.removeChild(shown); }
  }

  function show(banner) {
    var lang = locale();
    var colour = colours[banner.severity] || colours.info;
    var key = banner.id + "@" + banner.updated_at;
    if (dismissed === key) { hide(); return; }
    var box = document.getElementById(id) || document.createElement("div");
    box.id = id;
    box.setAttribute("role", banner.severity === "critical" ? "alert" : "status");
    box.setAttribute("lang", lang);
    box.setAttribute("data-severity", banner.severity || "info");
    box.style.cssText = "display:flex;gap:1em;align-items:center;justify-content:center;" +
      "flex-wrap:wrap;padding:.75em 1em;font:16px/1.4 system-ui,sans-serif;" +
      "background:" + colour[0] + ";color:" + colour[1] + ";";
    while (box.firstChild) { box.removeChild(box.firstChild); }
    var message = document.createElement("span");
    message.className = "surge-banner-text";
    message.textContent = text(banner.text, lang);
    box.appendChild(message);
    var link = safeLink(banner.link);
    if (link) {
      var anchor = document.createElement("a");
      anchor.href = link;
      anchor.rel = "noopener";
      anchor.textContent = words[lang].more;
      anchor.style.cssText = "color:inherit;text-decoration:underline;";
      box.appendChild(anchor);
    }
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "×";
    close.setAttribute("aria-label", words[lang].close);
    close.style.cssText = "background:none;border:0;color:inherit;font-size:1.4em;cursor:pointer;";
    close.onclick = function () { dismissed = key; hide(); };
    box.appendChild(close);
    if (!box.parentNode) {
      var target = attr("data-target") ? document.getElementById(attr("data-target")) : null;
      if (target) { target.appendChild(box); } else { document.body.insertBefore(box, document.body.firstChild); }
    }
  }

  function active(data, now) {
    var banner = data && data.banner;
    if (!banner) { return null; }
    if (banner.expires_at && Date.parse(banner.expires_at) <= now) { return null; }
    if (banner.starts_at && Date.parse(banner.starts_at) > now) { return null; }
    return banner;
  }

  function check() {
    fetch(feed, { cache: "no-cache", credentials: "omit" })
      .then(function (answer) { return answer.ok ? answer.json() : null; })
      .then(function (data) {
        if (data === null) { return; }  /* keep what is shown while the server has trouble */
        var banner = active(data, Date.now());
        if (banner) { show(banner); } else { hide(); }
      })
      .catch(function () { /* offline: try again later */ })
      .then(function () { setTimeout(check, refresh); });
  }

  if (document.body) { check(); } else { document.addEventListener("DOMContentLoaded", check); }
})();
