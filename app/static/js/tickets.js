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

  // Reply editor: "@Name" (the full name, or the first name) typed in the message picks that agent in
  // the mentions list (once, so un-picking an agent by hand sticks). A name counts only as a whole
  // word: "@Anna" does not pick Ann.
  function mentions(text, name) {
    var escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp("@" + escaped + "(?![\\p{L}\\p{N}_])", "iu").test(text);
  }

  function pickMentionsFromText() {
    var form = document.querySelector("form.reply-form");
    var select = form && form.querySelector("select[multiple]");
    var body = form && form.querySelector("textarea");
    if (!select || !body) return;
    var picked = {};
    body.addEventListener("input", function () {
      var text = body.value;
      Array.prototype.forEach.call(select.options, function (option) {
        var name = option.text;
        var mentioned = mentions(text, name) || mentions(text, name.split(" ")[0]);
        if (mentioned && !picked[option.value]) option.selected = true;
        picked[option.value] = mentioned;
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    toggleComplaintFields();
    enhanceReplyForm();
    pickMentionsFromText();
  });
})();
