// The diary never loses an entry: what is typed is kept in this browser until the server confirms the save,
// restored after a reload or a lost connection, and saving is retried until it succeeds.
(function () {
  "use strict";
  var form = document.getElementById("diary");
  if (!form) { return; }
  var status = document.getElementById("save-status");
  var key = "gutwise-draft:" + form.dataset.patient + ":" + form.dataset.day;
  var retry = null;

  function snapshot() {
    var data = {};
    new FormData(form).forEach(function (value, name) { if (name !== "csrf_token") { data[name] = value; } });
    return data;
  }
  function keepDraft() {
    try { localStorage.setItem(key, JSON.stringify(snapshot())); } catch (e) { /* private mode: nothing to do */ }
  }
  function dropDraft() {
    try { localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }
  function restore() {
    var raw = null;
    try { raw = localStorage.getItem(key); } catch (e) { return; }
    if (!raw) { return; }
    var data = JSON.parse(raw);
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token") { return; }
      if (el.type === "radio") { el.checked = data[el.name] === el.value; }
      else if (el.type === "checkbox") { el.checked = data[el.name] === "on"; }
      else if (el.name in data) { el.value = data[el.name]; }
    });
    status.textContent = "Restored what you typed before. Saving it now…";
    save();
  }
  function save() {
    if (window.htmx) { window.htmx.trigger(form, "change"); }
  }

  form.addEventListener("input", keepDraft);
  form.addEventListener("change", keepDraft);
  document.body.addEventListener("htmx:afterRequest", function (evt) {
    if (evt.detail.elt !== form) { return; }
    if (evt.detail.successful) {
      dropDraft();
      if (retry) { clearTimeout(retry); retry = null; }
    } else if (!evt.detail.xhr || evt.detail.xhr.status === 0 || evt.detail.xhr.status >= 500) {
      status.textContent = "Not saved yet: no connection. Your entry is kept here and gutwise will try again.";
      if (!retry) { retry = setTimeout(function () { retry = null; save(); }, 5000); }
    }
  });
  // htmx swaps only 2xx answers by default; show the 422 message next to the Save button too.
  document.body.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.elt === form && evt.detail.xhr.status === 422) { evt.detail.shouldSwap = true; evt.detail.isError = false; }
  });
  document.getElementById("note").addEventListener("keydown", function (evt) {
    if (evt.key === "Enter" && (evt.ctrlKey || evt.metaKey)) { evt.preventDefault(); form.requestSubmit(); }
  });
  restore();
})();
