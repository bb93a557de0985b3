// Mistral Console: the only script of our own. No inline scripts anywhere (the CSP forbids them).

// htmx requests carry the antiforgery token as a header, as ASP.NET Core expects it.
document.addEventListener('htmx:configRequest', (event) => {
  const meta = document.querySelector('meta[name="request-verification-token"]');
  if (meta && meta.content) {
    event.detail.headers['RequestVerificationToken'] = meta.content;
  }
});

// <form data-confirm="..."> asks before submitting (delete buttons and the like).
document.addEventListener('submit', (event) => {
  const form = event.target;
  const message = form instanceof HTMLFormElement ? form.getAttribute('data-confirm') : null;
  if (message && !window.confirm(message)) {
    event.preventDefault();
    event.stopImmediatePropagation();
  }
}, true);
