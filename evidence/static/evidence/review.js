// The review page lists each statement folded, its line a link to the statement's evidence page. Here each
// link becomes a button that fetches that page's fragment into place the first time it is opened (its
// aria-expanded says whether it is open; focus stays on it), and a link to #claim-N opens that statement
// and moves the focus to its button. Without this script every link still leads to the evidence page.
(function () {
  "use strict";

  function fragmentUrl(href) {
    var url = new URL(href, location.href);
    url.pathname += "fragment/";
    return url;
  }

  function load(button, panel) {
    panel.setAttribute("aria-busy", "true");
    panel.textContent = "Loading the reasons and evidence…";
    return fetch(fragmentUrl(button.dataset.href), { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(function (html) {
        panel.innerHTML = html;
        panel.dataset.loaded = "true";
        panel.removeAttribute("aria-busy");
      })
      .catch(function () {
        location.assign(button.dataset.href); // the page itself, as without the script
      });
  }

  function setOpen(button, panel, open) {
    button.setAttribute("aria-expanded", open ? "true" : "false");
    panel.hidden = !open;
    if (open && !panel.dataset.loaded && !panel.hasAttribute("aria-busy")) {
      load(button, panel);
    }
  }

  function enhance(link) {
    var block = link.parentNode;
    var button = document.createElement("button");
    var panel = document.createElement("div");
    panel.id = "evidence-" + block.id;
    panel.className = "stmt-block__evidence";
    panel.hidden = true;
    button.type = "button";
    button.dataset.href = link.getAttribute("href");
    button.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-controls", panel.id);
    while (link.firstChild) {
      button.appendChild(link.firstChild);
    }
    link.replaceWith(button);
    block.appendChild(panel);
    button.addEventListener("click", function () {
      setOpen(button, panel, button.getAttribute("aria-expanded") !== "true");
    });
  }

  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var block = id && document.getElementById(id);
    var button = block && block.querySelector(":scope > button");
    if (button) {
      setOpen(button, document.getElementById(button.getAttribute("aria-controls")), true);
      button.focus();
    }
  }

  document.querySelectorAll(".stmt-block > a").forEach(enhance);
  window.addEventListener("hashchange", openTarget);
  openTarget();
})();
