/* Small progressive enhancements of the ticket pages; every page works without them. */
(function () {
  "use strict";

  // New ticket: the complaint fields only matter when the type is "complaint".
  function toggleComplaintFields() {
    var type = document.querySelector("form.new-ticket select[name='type']");
    var fieldset = document.querySelector("fieldset[data-shown-for-type]");
    if (!type || !fieldset) return;
    var update = function () {
      fieldset.hidden = type.value !== fieldset.getAttribute("data-shown-for-type");
    };
    type.addEventListener("change", update);
    update();
  }

  // Reply editor: say what the button will do, mark notes visually, send with Ctrl+Enter.
  function enhanceReplyForm() {
    var form = document.querySelector("form.reply-form");
    if (!form) return;
    var button = form.querySelector("button[type='submit']");
    var radios = form.querySelectorAll("input[type='radio']");
    var update = function () {
      var checked = form.querySelector("input[type='radio']:checked");
      var internal = checked && checked.value === "internal";
      form.classList.toggle("internal", internal);
      button.textContent = internal ? button.dataset.internalLabel : button.dataset.publicLabel;
    };
    radios.forEach(function (radio) { radio.addEventListener("change", update); });
    update();
    var body = form.querySelector("textarea");
    if (body) {
      body.addEventListener("keydown", function (event) {
        if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
          event.preventDefault();
          form.requestSubmit ? form.requestSubmit(button) : form.submit();
        }
      });
    }
  }

  // Reply editor: "@Name" (the full name, or the first name) typed in the message ticks that agent's
  // mention box (once, so un-picking an agent by hand sticks). A name counts only as a whole word:
  // "@Anna" does not pick Ann.
  function mentions(text, name) {
    var escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp("@" + escaped + "(?![\\p{L}\\p{N}_])", "iu").test(text);
  }

  // Reply editor: after "@" the agents whose names start so are suggested below the message; the arrow
  // keys move through them, Enter or Tab picks one (its name goes into the text, its box is ticked),
  // Escape closes them. The boxes fold away; the agents picked show as a list with remove buttons.
  function mentionSuggestions() {
    var form = document.querySelector("form.reply-form");
    var fieldset = form && form.querySelector("fieldset.mentions");
    var body = form && form.querySelector("textarea");
    if (!fieldset || !body) return;
    var choices = fieldset.querySelector(".mention-choices");
    var agents = Array.prototype.map.call(fieldset.querySelectorAll("input[type='checkbox']"), function (box) {
      var label = fieldset.querySelector("label[for='" + box.id + "']");
      return { box: box, name: label ? label.textContent.trim() : box.value };
    });
    if (!agents.length) return;

    var list = document.createElement("ul");
    list.id = body.id + "-suggestions";
    list.className = "mention-suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", fieldset.dataset.suggestionsLabel || "");
    list.hidden = true;
    body.insertAdjacentElement("afterend", list);
    body.setAttribute("aria-autocomplete", "list");
    body.setAttribute("aria-controls", list.id);
    body.setAttribute("aria-expanded", "false");
    var status = document.createElement("p");
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    list.insertAdjacentElement("afterend", status);

    var picked = document.createElement("ul");
    picked.className = "mention-picked";
    choices.hidden = true;
    choices.insertAdjacentElement("beforebegin", picked);

    var shown = [];
    var active = -1;
    var typedFrom = -1;  // where the "@" being typed is

    function showPicked() {
      picked.textContent = "";
      agents.forEach(function (agent) {
        if (!agent.box.checked) return;
        var item = document.createElement("li");
        item.textContent = agent.name + " ";
        var remove = document.createElement("button");
        remove.type = "button";
        remove.className = "link small";
        remove.textContent = "×";
        remove.setAttribute("aria-label", (fieldset.dataset.removeLabel || "") + " " + agent.name);
        remove.addEventListener("click", function () {
          agent.box.checked = false;
          showPicked();
          body.focus();
        });
        item.appendChild(remove);
        picked.appendChild(item);
      });
      picked.hidden = !picked.children.length;
    }

    function close() {
      list.hidden = true;
      list.textContent = "";
      shown = [];
      active = -1;
      body.setAttribute("aria-expanded", "false");
      body.removeAttribute("aria-activedescendant");
    }

    function highlight(index) {
      active = index;
      Array.prototype.forEach.call(list.children, function (option, i) {
        option.setAttribute("aria-selected", i === index ? "true" : "false");
      });
      if (index >= 0) body.setAttribute("aria-activedescendant", list.children[index].id);
    }

    function pick(agent) {
      var before = body.value.slice(0, typedFrom);
      var after = body.value.slice(body.selectionStart);
      var inserted = "@" + agent.name + " ";
      body.value = before + inserted + after;
      var caret = before.length + inserted.length;
      body.setSelectionRange(caret, caret);
      agent.box.checked = true;
      close();
      showPicked();
      body.focus();
    }

    function suggest() {
      var typed = body.value.slice(0, body.selectionStart);
      var match = /(^|\s)@([^\s@]*(?: [^\s@]*)?)$/u.exec(typed);
      if (!match) return close();
      typedFrom = match.index + match[1].length;
      var query = match[2].toLocaleLowerCase();
      shown = agents.filter(function (agent) {
        var name = agent.name.toLocaleLowerCase();
        return name.indexOf(query) === 0 || name.split(/\s+/).some(function (part) { return part.indexOf(query) === 0; });
      }).slice(0, 8);
      if (!shown.length) return close();
      list.textContent = "";
      shown.forEach(function (agent, i) {
        var option = document.createElement("li");
        option.id = list.id + "-" + i;
        option.setAttribute("role", "option");
        option.textContent = agent.name;
        // mousedown, not click: the message keeps the focus (and its caret).
        option.addEventListener("mousedown", function (event) {
          event.preventDefault();
          pick(agent);
        });
        list.appendChild(option);
      });
      list.hidden = false;
      body.setAttribute("aria-expanded", "true");
      highlight(0);
      status.textContent = fieldset.dataset.suggestionsHint || "";
    }

    var ticked = {};
    body.addEventListener("input", function () {
      agents.forEach(function (agent) {
        var mentioned = mentions(body.value, agent.name) || mentions(body.value, agent.name.split(" ")[0]);
        if (mentioned && !ticked[agent.box.value]) agent.box.checked = true;
        ticked[agent.box.value] = mentioned;
      });
      showPicked();
      suggest();
    });
    body.addEventListener("click", suggest);
    body.addEventListener("blur", close);
    body.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        var step = event.key === "ArrowDown" ? 1 : -1;
        highlight((active + step + shown.length) % shown.length);
      } else if ((event.key === "Enter" || event.key === "Tab") && !event.ctrlKey && !event.metaKey && active >= 0) {
        event.preventDefault();
        pick(shown[active]);
      } else if (event.key === "Escape") {
        event.preventDefault();
        close();
      }
    });
    showPicked();
  }

  // File inputs: a file over the size limit, or too many files, is named at once, before a long upload
  // that the server would refuse (beyond the request's cap, without the form coming back filled in).
  function checkFilesEarly() {
    document.querySelectorAll("input[type='file'][data-max-bytes]").forEach(function (input) {
      var errors = document.getElementById(input.id + "-errors");
      var maxBytes = Number(input.dataset.maxBytes);
      var maxFiles = Number(input.dataset.maxFiles);
      input.addEventListener("change", function () {
        var problems = [];
        if (input.files.length > maxFiles) problems.push(input.dataset.tooMany || "");
        Array.prototype.forEach.call(input.files, function (file) {
          if (file.size > maxBytes) problems.push((input.dataset.tooLarge || "").replace("%(name)s", file.name));
        });
        input.setCustomValidity(problems.length ? problems[0] : "");
        input.setAttribute("aria-invalid", problems.length ? "true" : "false");
        if (!errors) return;
        errors.textContent = "";
        problems.forEach(function (problem) {
          var item = document.createElement("li");
          item.textContent = problem;
          errors.appendChild(item);
        });
        errors.hidden = !problems.length;
      });
      input.form.addEventListener("submit", function (event) {
        if (!input.checkValidity()) {
          event.preventDefault();
          input.focus();
        }
      });
    });
  }

  // Ticket page: the notifications card is fetched again every few seconds while a mail is pending,
  // so "sent" (or a failure) shows without a reload; polling stops once nothing is pending, and
  // waits while the page is hidden.
  var REFRESH_MS = 4000;
  function refreshNotifications() {
    var card = document.getElementById("notifications");
    if (!card || !card.dataset.refreshUrl || !card.hasAttribute("data-pending")) return;
    window.setTimeout(function poll() {
      if (document.hidden) return window.setTimeout(poll, REFRESH_MS);
      fetch(card.dataset.refreshUrl, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) { return response.ok ? response.text() : Promise.reject(response.status); })
        .then(function (html) {
          var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("notifications");
          if (!fresh) return;
          card.replaceWith(fresh);
          card = fresh;
          if (card.hasAttribute("data-pending")) window.setTimeout(poll, REFRESH_MS);
        })
        .catch(function () { window.setTimeout(poll, REFRESH_MS * 4); });
    }, REFRESH_MS);
  }

  // Ticket list: a box in the header ticks every ticket on the page, and the bulk form says how many
  // are ticked.
  function bulkPicks() {
    var form = document.getElementById("bulk-form");
    var all = document.querySelector("input.pick-all");
    if (!form || !all) return;
    var boxes = document.querySelectorAll("input[type='checkbox'][form='bulk-form']");
    var count = form.querySelector(".bulk-count");
    var update = function () {
      var ticked = Array.prototype.filter.call(boxes, function (box) { return box.checked; }).length;
      all.checked = ticked === boxes.length && ticked > 0;
      all.indeterminate = ticked > 0 && ticked < boxes.length;
      if (count) count.textContent = (form.dataset.tickedLabel || "") + " " + ticked;
    };
    all.hidden = false;
    all.addEventListener("change", function () {
      boxes.forEach(function (box) { box.checked = all.checked; });
      update();
    });
    boxes.forEach(function (box) { box.addEventListener("change", update); });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    toggleComplaintFields();
    enhanceReplyForm();
    mentionSuggestions();
    checkFilesEarly();
    refreshNotifications();
    bulkPicks();
  });
})();
