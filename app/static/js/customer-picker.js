/* New ticket: find the customer as the agent types a name, e-mail or phone, and pick one.
   Suggestions come from the customers API (the agent's session); picking fills in the customer's
   number, which is all the form sends. Without this script the agent types the number. */
(function () {
  "use strict";

  var WAIT_MS = 200;
  var MIN_LENGTH = 2;
  var SHOWN = 8;

  function contact(customer) {
    var points = (customer.emails || []).concat(customer.phones || []);
    return points.map(function (point) { return point.value; }).join(" · ");
  }

  function setUp(picker) {
    var input = picker.querySelector("input[role='combobox']");
    var list = picker.querySelector("[role='listbox']");
    var number = document.querySelector("input[name='customer_id']");
    var picked = document.getElementById("customer-picked");
    var timer = null;
    var latest = 0;
    var active = -1;

    picker.hidden = false;

    function options() { return list.querySelectorAll("[role='option']"); }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (option, i) { option.setAttribute("aria-selected", i === active ? "true" : "false"); });
      input.setAttribute("aria-activedescendant", all[active].id);
    }

    function pick(customer) {
      number.value = customer.id;
      picked.textContent = customer.name + (contact(customer) ? " · " + contact(customer) : "");
      input.value = customer.name;
      close();
    }

    function show(customers) {
      list.replaceChildren();
      if (!customers.length) {
        var none = document.createElement("li");
        none.className = "muted";
        none.textContent = input.dataset.none;
        list.appendChild(none);
      }
      customers.forEach(function (customer, i) {
        var option = document.createElement("li");
        option.id = "customer-suggestion-" + i;
        option.setAttribute("role", "option");
        option.setAttribute("aria-selected", "false");
        option.dataset.customerId = customer.id;
        option.textContent = customer.name;
        var details = document.createElement("span");
        details.className = "muted";
        details.textContent = "#" + customer.id + (contact(customer) ? " · " + contact(customer) : "");
        option.appendChild(details);
        option.addEventListener("mousedown", function (event) {
          event.preventDefault(); // keep the focus in the search box
          pick(customer);
        });
        option.customer = customer;
        list.appendChild(option);
      });
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      active = -1;
    }

    function search() {
      var text = input.value.trim();
      if (text.length < MIN_LENGTH) { close(); return; }
      var asked = ++latest;
      var url = picker.dataset.source + "?" + new URLSearchParams({ q: text, page_size: SHOWN });
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : []; })
        .then(function (customers) { if (asked === latest) show(customers); })
        .catch(function () { if (asked === latest) close(); });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(search, WAIT_MS);
    });
    input.addEventListener("keydown", function (event) {
      if (list.hidden) return;
      if (event.key === "ArrowDown") { event.preventDefault(); highlight(active + 1); }
      else if (event.key === "ArrowUp") { event.preventDefault(); highlight(active - 1); }
      else if (event.key === "Escape") { close(); }
      else if (event.key === "Enter" && active >= 0) {
        event.preventDefault(); // pick, don't send the form
        pick(options()[active].customer);
      }
    });
    input.addEventListener("blur", close);
    number.addEventListener("input", function () { picked.textContent = ""; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var picker = document.querySelector(".customer-picker .picker[data-source]");
    if (picker) setUp(picker);
  });
})();
