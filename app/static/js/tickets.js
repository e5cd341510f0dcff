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

  document.addEventListener("DOMContentLoaded", function () {
    toggleComplaintFields();
    enhanceReplyForm();
  });
})();
