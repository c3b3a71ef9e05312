// Starts Swagger UI on the API's own document. A file, not an inline script, so the docs page's
// Content-Security-Policy can allow scripts from this origin only.
window.addEventListener("load", () => {
  window.ui = window.SwaggerUIBundle({
    url: "/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    displayOperationId: true,
    persistAuthorization: false,
    validatorUrl: null, // no badge fetched from validator.swagger.io
  });
});
