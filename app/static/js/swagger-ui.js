/* Starts Swagger UI on the API docs page, as flask-smorest's template does, from a file rather than an
   inline script: the page's settings come from the container's data attributes. */
(function () {
  "use strict";
  var container = document.getElementById("swagger-ui-container");
  var config = Object.assign(
    { url: container.dataset.specUrl, dom_id: "#swagger-ui-container" },
    JSON.parse(container.dataset.config)
  );
  window.ui = SwaggerUIBundle(config);
})();
