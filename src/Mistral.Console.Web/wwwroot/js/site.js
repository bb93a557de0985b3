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

// Action fragments marked data-swap-errors show their 400/409 answers (an alert) instead of
// htmx's default of ignoring error responses; the form the user filled stays as it was.
document.addEventListener('htmx:beforeSwap', (event) => {
  const status = event.detail.xhr.status;
  const elt = event.detail.requestConfig && event.detail.requestConfig.elt;
  if ((status === 400 || status === 409) && elt && elt.closest('[data-swap-errors]')) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});

// The deployment log: drop rows already shown (a reconnect may send them again), hide rows the
// page's node/task filter excludes, keep at most LOG_CAP rows in the DOM, follow the tail.
const LOG_CAP = 5000;

function tidyLog(lines, appended) {
  const node = lines.dataset.filterNode || '';
  const task = lines.dataset.filterTask || '';
  const seen = new Set();
  const rows = lines.children;
  for (let i = rows.length - 1; i >= 0; i--) {
    const row = rows[i];
    const seq = row.dataset.seq;
    if (seq === undefined) continue;
    if (seen.has(seq)) { row.remove(); continue; }
    seen.add(seq);
    if ((node && row.dataset.node !== node) || (task && row.dataset.task !== task)) row.classList.add('ll-hidden');
  }
  // Trim the side away from where rows arrived: live rows push out the oldest.
  let excess = lines.children.length - LOG_CAP;
  while (excess-- > 0) {
    (appended ? lines.firstElementChild : lines.lastElementChild).remove();
  }
}

function followLog() {
  const toggle = document.getElementById('log-autoscroll');
  const pane = document.getElementById('log-scroll');
  if (pane && toggle && toggle.checked) pane.scrollTop = pane.scrollHeight;
}

document.addEventListener('htmx:sseMessage', (event) => {
  if (event.target && event.target.id === 'log-lines') {
    tidyLog(event.target, true);
    followLog();
  }
});

document.addEventListener('htmx:afterSwap', (event) => {
  const lines = document.getElementById('log-lines');
  if (lines && event.detail.target === lines) tidyLog(lines, false);
});

document.addEventListener('DOMContentLoaded', followLog);
